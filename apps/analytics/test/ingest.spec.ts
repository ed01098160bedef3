import { randomUUID } from 'node:crypto';
import { EventConsumerRegistry } from '@aether/messaging';
import { MetricsService } from '@aether/service-kit';
import { waitFor } from '@aether/testing';
import { AnalyticsCollections } from '../src/events/analytics-collections';
import type { Granularity } from '../src/events/buckets';
import { factsOf, toEventRecord } from '../src/events/event-record';
import { toCompact } from '../src/events/rollup-model';
import { EventStore } from '../src/events/event-store.service';
import { INGEST_QUEUE } from '../src/ingest/event-ingest.handler';
import { SummaryService } from '../src/queries/summary.service';
import { TimeseriesService } from '../src/queries/timeseries.service';
import { RetentionService } from '../src/retention/retention.service';
import { AnalyticsHarness } from './support/analytics-harness';

jest.setTimeout(60_000);

describe('analytics ingest (FerretDB + RabbitMQ)', () => {
  const h = new AnalyticsHarness();
  let db: AnalyticsCollections;

  beforeAll(async () => {
    await h.start({ ANALYTICS_RETENTION_DAYS: '30' });
    db = h.get(AnalyticsCollections);
    await h.get(EventConsumerRegistry).get(INGEST_QUEUE)!.ready();
  });
  afterAll(() => h.stop());

  const DAY = 86_400_000;
  /** What the queries answer (the figures are aggregated from the stored events). */
  const summaryCount = async (type: string, userId?: string, from = new Date(Date.now() - DAY), to = new Date(Date.now() + 1000)) => {
    const s = await h.get(SummaryService).summarize({ from, to }, { userId });
    return s.byType[type] ?? 0;
  };
  const seriesTotal = async (type: string, g: Granularity, userId?: string) => {
    const points = await h.get(TimeseriesService).series(type, g, { from: new Date(Date.now() - DAY + 3_600_000), to: new Date(Date.now() + 1000) }, { userId });
    return points.reduce((n, p) => n + p.count, 0);
  };
  const storedCounter = async (outcome: string) => {
    const metric = await h.get(MetricsService).registry.getSingleMetric('analytics_events_stored_total')!.get();
    return metric.values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
  };

  it('stores an event delivered twice once and counts it once', async () => {
    const type = 'task-manager.task.created';
    const dup = { id: randomUUID(), type, subject: 'user-dup', data: { id: 'task-dup', ownerId: 'user-dup' } };
    const duplicatesBefore = await storedCounter('duplicate');
    await h.publish([dup]);
    await h.publish([dup, { id: randomUUID(), type, subject: 'user-dup', data: { id: 'task-2' } }]);

    await waitFor(async () => (await storedCounter('duplicate')) >= duplicatesBefore + 1, { what: 'the second delivery' });
    await waitFor(async () => (await db.events.countDocuments({ userId: 'user-dup' })) === 2, { what: 'both events stored' });
    expect(await db.events.countDocuments({ _id: dup.id })).toBe(1);
    expect(await summaryCount(type, 'user-dup')).toBe(2);
    for (const g of ['minute', 'hour', 'day'] as const) expect(await seriesTotal(type, g, 'user-dup')).toBe(2);
  });

  it('EventStore: duplicates within and across batches are reported, not counted', async () => {
    const store = h.get(EventStore);
    const type = 'rag.document.ingested';
    const time = new Date(Date.now() - 3_600_000).toISOString();
    const a = toEventRecord({ id: randomUUID(), type, subject: 'u-batch', time });
    const b = toEventRecord({ id: randomUUID(), type, subject: 'u-batch', time });
    const first = await store.storeBatch([a, a, b]);
    expect(first.inserted.sort()).toEqual([a.doc._id, b.doc._id].sort());
    expect(first.duplicates).toEqual([a.doc._id]);
    const second = await store.storeBatch([b, toEventRecord({ id: randomUUID(), type, subject: 'u-batch', time })]);
    expect(second.inserted).toHaveLength(1);
    expect(second.duplicates).toEqual([b.doc._id]);
    expect(second.failed.size).toBe(0);
    expect(await summaryCount(type, 'u-batch')).toBe(3);
  });

  it('loses and duplicates nothing: 1,000 events published while the consumer is stopped', async () => {
    const consumer = h.get(EventConsumerRegistry).get(INGEST_QUEUE)!;
    await consumer.stop();
    const type = 'integration-hub.webhook.received';
    const duplicatesBefore = await storedCounter('duplicate');
    const events = Array.from({ length: 1000 }, (_, i) => ({ id: randomUUID(), type, subject: `bulk-${i % 7}`, data: { n: i } }));
    // 100 of them are published a second time (a producer retry after a lost confirm).
    await h.publish([...events, ...events.slice(0, 100)]);
    consumer.start();
    await consumer.ready();

    await waitFor(async () => (await db.events.countDocuments({ type })) === 1000, { timeoutMs: 30_000, what: '1000 stored events' });
    // The 100 second copies must have been handled (as duplicates) before "nothing counted twice" means anything.
    await waitFor(async () => (await storedCounter('duplicate')) >= duplicatesBefore + 100, { timeoutMs: 30_000, what: '100 duplicates' });
    expect(await db.events.countDocuments({ type })).toBe(1000);
    expect(await summaryCount(type)).toBe(1000);
    expect(await seriesTotal(type, 'minute')).toBe(1000);
    expect(await seriesTotal(type, 'day')).toBe(1000);
  });

  it('stores events whose data has field names a document store refuses (dots, leading $), data intact', async () => {
    const admin = await h.identities.user('admin');
    // Docker labels and arbitrary webhook payloads: as sub-documents FerretDB rejected these, so
    // the events went to the retry queues and never counted.
    const data = { labels: { 'com.docker.compose.service': 'api', 'aether.managed': 'true' }, $schema: 'x', list: [{ 'a.b': 1 }] };
    const ev = { id: randomUUID(), type: 'docker-manager.container.started', subject: 'u-labels', data };
    await h.publish([ev]);
    await waitFor(async () => (await db.events.countDocuments({ _id: ev.id })) === 1, { timeoutMs: 10_000, what: 'the event with dotted keys stored' });
    expect(await summaryCount(ev.type, 'u-labels')).toBe(1);
    const page = await h.call('listEvents', { type: ev.type }, admin);
    expect(page.items.map((e: { id: string; dataJson: string }) => [e.id, JSON.parse(e.dataJson)])).toEqual([[ev.id, data]]);
  });

  it('a redelivery after a crash between the event insert and the task facts still records the facts', async () => {
    const store = h.get(EventStore);
    const done = toEventRecord({ id: randomUUID(), type: 'task-manager.task.completed', subject: 'u-crash', data: { task: { id: 'crash-task', status: 'done' } } });
    // The first delivery got this far: journal committed, event stored, task facts not yet written.
    const journalId = randomUUID();
    await db.journal.insertOne({ _id: journalId, at: new Date(), n: 1, e: JSON.stringify([toCompact(factsOf(done.doc))]) });
    await db.commits.insertOne({ _id: journalId, at: new Date(), skip: [] });
    await db.events.insertOne({ ...done.doc, j: journalId });
    const again = await store.storeBatch([done]);
    expect(again).toMatchObject({ inserted: [], duplicates: [done.doc._id] });
    expect(await db.tasks.findOne({ _id: 'crash-task' })).toMatchObject({ userId: 'u-crash', completedAt: done.doc.time });
    expect(await summaryCount('task-manager.task.completed', 'u-crash')).toBe(1);
  });

  it('a redelivered old event does not bring back a due date changed since', async () => {
    const store = h.get(EventStore);
    const t0 = Date.now() - 3_600_000;
    const first = toEventRecord({ id: randomUUID(), type: 'task-manager.task.created', subject: 'u-due', time: new Date(t0).toISOString(), data: { task: { id: 'due-task', dueAt: new Date(t0 + DAY).toISOString() } } });
    const moved = toEventRecord({ id: randomUUID(), type: 'task-manager.task.updated', subject: 'u-due', time: new Date(t0 + 60_000).toISOString(), data: { task: { id: 'due-task', dueAt: new Date(t0 + 2 * DAY).toISOString() } } });
    await store.storeBatch([first]);
    await store.storeBatch([moved]);
    expect((await store.storeBatch([first])).duplicates).toEqual([first.doc._id]);
    expect((await db.tasks.findOne({ _id: 'due-task' }))?.dueAt).toEqual(new Date(t0 + 2 * DAY));
  });

  it('retention deletes events and task facts of the days older than ANALYTICS_RETENTION_DAYS', async () => {
    const store = h.get(EventStore);
    const now = new Date();
    const old = new Date(now.getTime() - 31 * 86_400_000).toISOString();
    const recent = new Date(now.getTime() - 29 * 86_400_000).toISOString();
    const type = 'code-assistant.review.completed';
    await store.storeBatch([
      toEventRecord({ id: 'old-1', type, subject: 'u-ret', time: old }),
      toEventRecord({ id: 'old-task', type: 'task-manager.task.created', subject: 'u-ret', time: old, data: { task: { id: 'ret-task', dueAt: old } } }),
      toEventRecord({ id: 'recent-1', type, subject: 'u-ret', time: recent }),
    ]);
    // Compaction may already have dropped the old ones (it never folds what retention would delete).
    expect(await h.get(RetentionService).purge(now)).toBeDefined();
    expect(await db.events.countDocuments({ _id: { $in: ['old-1', 'old-task'] } })).toBe(0);
    expect(await db.events.countDocuments({ _id: 'recent-1' })).toBe(1);
    expect(await db.tasks.countDocuments({ _id: 'ret-task' })).toBe(0);
    expect(await summaryCount(type, 'u-ret', new Date(now.getTime() - 40 * DAY), now)).toBe(1);
  });
});
