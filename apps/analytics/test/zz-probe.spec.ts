import { randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import { createTempMongoDatabase } from '@aether/testing';
import { AnalyticsCollections } from '../src/events/analytics-collections';
import { EventStore } from '../src/events/event-store.service';
import { toEventRecord } from '../src/events/event-record';

it('probe', async () => {
  const m = await createTempMongoDatabase('probe');
  const conn = await mongoose.createConnection(m.url).asPromise();
  const store = new EventStore(new AnalyticsCollections(conn));
  for (const withTask of [false, true, true]) {
    const recs = Array.from({ length: 500 }, (_, i) => toEventRecord({ id: randomUUID(), type: i % 3 ? 'task-manager.task.created' : 'ai-gateway.completion.completed', subject: `user-${i % 50}`, time: new Date().toISOString(), data: withTask ? { id: randomUUID(), status: 'todo' } : { usage: { promptTokens: 1 } } }));
    let t = performance.now();
    await conn.collection('events').insertMany(recs.map((r) => ({ ...r.doc, _id: randomUUID() })), { ordered: false });
    console.log('insertMany', performance.now() - t);
    t = performance.now();
    const r = await store.storeBatch(recs);
    console.log(withTask, 'storeBatch', performance.now() - t, r.inserted.length, r.failed.size);
  }
  await conn.close();
  await m.drop();
}, 120000);
