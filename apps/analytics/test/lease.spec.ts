import mongoose, { type Connection } from 'mongoose';
import { createTempMongoDatabase, type TempResource } from '@aether/testing';
import type { StateDoc } from '../src/events/analytics-collections';
import { Lease } from '../src/events/lease';

/** The compaction lease on FerretDB: one holder, whatever the race (a conditional update could not promise that there). */
describe('Lease (FerretDB)', () => {
  let mongo: TempResource;
  let conn: Connection;

  beforeAll(async () => {
    mongo = await createTempMongoDatabase('analytics_lease');
    conn = await mongoose.createConnection(mongo.url).asPromise();
  });
  afterAll(async () => {
    await conn?.close();
    await mongo?.drop();
  });

  it('has exactly one holder when replicas race for it, fresh or expired', async () => {
    const state = conn.collection<StateDoc>('analytics_state');
    const replicas = Array.from({ length: 4 }, (_, i) => new Lease(state, 'race', `replica-${i}`, 30_000, 10_000));
    for (let round = 0; round < 15; round++) {
      const won = await Promise.all(replicas.map((l) => l.acquire()));
      expect(won.filter(Boolean)).toHaveLength(1);
      // The holder keeps it; nobody else gets it while it is valid.
      const again = await Promise.all(replicas.map((l) => l.acquire()));
      expect(again).toEqual(won);
      // As if the holder died: its lease expires.
      await state.updateMany({}, { $set: { until: new Date(0) } });
    }
    expect(await state.countDocuments({ lease: 'race' })).toBeLessThanOrEqual(2);
  });

  it('stays held through a read longer than the lease (during), and nobody takes it meanwhile', async () => {
    const state = conn.collection<StateDoc>('analytics_state');
    const [a, b] = [new Lease(state, 'long-read', 'a', 800, 200), new Lease(state, 'long-read', 'b', 800, 200)];
    expect(await a.acquire()).toBe(true);
    const read = new Promise((r) => setTimeout(r, 2500)).then(() => 'rows');
    const taken: boolean[] = [];
    const rival = setInterval(() => void b.acquire().then((held) => taken.push(held)), 300);
    try {
      expect(await a.during(read)).toBe('rows');
    } finally {
      clearInterval(rival);
    }
    expect(() => a.assertHeld()).not.toThrow();
    expect(taken.length).toBeGreaterThan(3);
    expect(taken).not.toContain(true);
  });

  it('is free again once its holder releases it', async () => {
    const state = conn.collection<StateDoc>('analytics_state');
    const [a, b] = [new Lease(state, 'release', 'a', 30_000, 10_000), new Lease(state, 'release', 'b', 30_000, 10_000)];
    expect(await a.acquire()).toBe(true);
    expect(await b.acquire()).toBe(false);
    await a.release();
    expect(await b.acquire()).toBe(true);
    expect(() => b.assertHeld()).not.toThrow();
    expect(() => a.assertHeld()).toThrow();
  });
});
