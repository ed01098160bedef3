import mongoose from 'mongoose';
import { AnalyticsEnv } from '../src/config/analytics.env';
import { AnalyticsCollections } from '../src/events/analytics-collections';
import { BACKFILL_STATE_ID } from '../src/events/backfill';
import { BUCKET_MS, floorTo } from '../src/events/buckets';
import { CompactionService } from '../src/events/compaction.service';
import { toEventRecord, type EventDoc } from '../src/events/event-record';
import { EventStore } from '../src/events/event-store.service';
import { RollupStore } from '../src/events/rollup-store';
import { RetentionService } from '../src/retention/retention.service';
import { AnalyticsHarness } from './support/analytics-harness';
import { expectQueriesExact, prng, RandomEvents } from './support/brute-force';

jest.setTimeout(240_000);

const DAY = BUCKET_MS.day;
const LEASE_ID = 'compaction-lease';

/**
 * Events as the version before the ingest journal stored them: the same document, without the
 * journal id `j` (and, before `dataJson`, with the data as a sub-document).
 */
function legacyDocs(gen: RandomEvents, n: number): EventDoc[] {
  return Array.from({ length: n }, (_, i) => {
    const doc = toEventRecord(gen.event()).doc;
    if (i % 10 !== 0) return doc;
    const { dataJson, ...older } = doc;
    return { ...older, data: JSON.parse(dataJson) } as EventDoc;
  });
}

async function backfillDone(db: AnalyticsCollections): Promise<boolean> {
  return (await db.state.findOne({ _id: BACKFILL_STATE_ID }))?.done === true;
}

/** As if the lease holder died: its lease expires, another process may take over. */
async function expireLease(db: AnalyticsCollections): Promise<void> {
  await db.state.updateMany({ lease: LEASE_ID }, { $set: { until: new Date(0) } });
}

describe('upgrade backfill: events stored before the ingest journal are counted exactly once (FerretDB)', () => {
  const seed = Number(process.env.ROLLUP_SEED ?? Date.now() % 1e9);
  const rnd = prng(seed);
  const base = floorTo(Date.now() - 3 * DAY, 'day').getTime();
  const gen = new RandomEvents(rnd, base);
  beforeAll(() => console.log(`backfill.spec seed: ${seed} (ROLLUP_SEED=${seed} replays it)`));

  describe('a service started on a database of the previous version', () => {
    const h = new AnalyticsHarness();
    const legacy = legacyDocs(gen, 700);

    beforeAll(async () => {
      await h.start(
        { ANALYTICS_COMPACTION_INTERVAL_MS: '100', ANALYTICS_BACKFILL_BATCH: '150' },
        {
          beforeStart: async (url) => {
            const conn = await mongoose.createConnection(url).asPromise();
            try {
              await conn.collection<EventDoc>('events').insertMany(legacy);
            } finally {
              await conn.close();
            }
          },
        },
      );
    });
    afterAll(() => h.stop());

    it('backfills them in bounded steps while new events (and redeliveries of old ones) arrive', async () => {
      const db = h.get(AnalyticsCollections);
      const store = h.get(EventStore);
      // Ingest keeps running during the backfill: new events, and old ones delivered again (duplicates).
      for (let i = 0; i < 5; i++) {
        await store.storeBatch([...Array.from({ length: 40 }, () => toEventRecord(gen.event())), ...legacy.slice(i * 20, i * 20 + 5).map((d) => ({ doc: d }))]);
      }
      const deadline = Date.now() + 60_000;
      while (!(await backfillDone(db)) || (await db.commits.countDocuments({ folded: { $ne: true } })) > 0) {
        if (Date.now() > deadline) throw new Error('backfill did not finish within 60 s');
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await db.events.countDocuments()).toBe(legacy.length + 200);
      await expectQueriesExact(h, gen, rnd, 'after the backfill', 16);
      // Once done, nothing more is journaled: a later pass changes no figure.
      await h.get(CompactionService).compactOnce();
      await expectQueriesExact(h, gen, rnd, 'a pass after the backfill', 4);
    });
  });

  /** A service with compaction only when the test says so; tiny steps, so a few hundred events take many. */
  function manualCompaction() {
    const h = new AnalyticsHarness();
    const ctx = { h, db: undefined as unknown as AnalyticsCollections, compaction: undefined as unknown as CompactionService };
    beforeAll(async () => {
      await h.start({ ANALYTICS_COMPACTION_INTERVAL_MS: '0', ANALYTICS_BACKFILL_BATCH: '60' });
      ctx.db = h.get(AnalyticsCollections);
      ctx.compaction = h.get(CompactionService);
    });
    afterAll(() => h.stop());
    return ctx;
  }
  const replica = (h: AnalyticsHarness) => new CompactionService(h.get(AnalyticsCollections), h.get(RollupStore), h.get(AnalyticsEnv));

  /** Makes the first call of `method` whose first argument `matches` throw, as a crash there would. */
  function crashOnce<T extends object>(target: T, method: keyof T & string, matches: (arg: any) => boolean): jest.SpyInstance {
    const original = (target as any)[method].bind(target);
    const spy = jest.spyOn(target as any, method).mockImplementation(async (...args: any[]) => {
      if (matches(args[0])) {
        spy.mockRestore();
        throw new Error(`simulated crash in ${method}`);
      }
      return original(...args);
    });
    return spy;
  }

  describe('interrupted at every point and resumed', () => {
    const ctx = manualCompaction();

    it('a step cut off after its journal, after its commit, or before its fold resumes without counting anything twice', async () => {
      const { h, db, compaction } = ctx;
      await db.events.insertMany(legacyDocs(gen, 500));
      await compaction.compactOnce();
      const isBackfill = (doc: { _id?: unknown }) => typeof doc?._id === 'string' && doc._id.startsWith('backfill-');
      const crashes: Array<() => jest.SpyInstance> = [
        // Journal written, no commit.
        () => crashOnce(db.commits, 'insertOne', isBackfill),
        // Journal and commit written, cursor not moved.
        () => crashOnce(db.state, 'updateOne', (f) => f?._id === BACKFILL_STATE_ID),
        // Cursor moved, the fold of its journal cut off.
        () => crashOnce(h.get(RollupStore), 'write', () => true),
      ];
      for (const crash of crashes) {
        const spy = crash();
        await expect(compaction.compactOnce()).rejects.toThrow('simulated crash');
        spy.mockRestore();
        await compaction.compactOnce();
      }
      // Retention folds too (its own way into the fold): it must settle the backfill first.
      crashOnce(db.state, 'updateOne', (f) => f?._id === BACKFILL_STATE_ID);
      await expect(compaction.compactOnce()).rejects.toThrow('simulated crash');
      await h.get(RetentionService).purge();
      // Another process takes over after the lease holder died mid-step.
      crashOnce(db.commits, 'insertOne', isBackfill);
      await expect(compaction.compactOnce()).rejects.toThrow('simulated crash');
      await expireLease(db);
      const successor = replica(h);
      for (let pass = 0; !(await backfillDone(db)); pass++) {
        if (pass > 50) throw new Error('backfill did not finish');
        await successor.compactOnce();
      }
      await successor.compactOnce();
      await expireLease(db);
      expect(await db.commits.countDocuments({ folded: { $ne: true } })).toBe(0);
      await expectQueriesExact(h, gen, rnd, 'resumed after crashes', 16);
    });
  });

  describe('two replicas', () => {
    const ctx = manualCompaction();

    it('two replicas at once, the lease moving between them, journal every old event once', async () => {
      const { h, db } = ctx;
      await db.events.insertMany(legacyDocs(gen, 400));
      const replicas = [ctx.compaction, replica(h)];
      for (let turn = 0; !(await backfillDone(db)); turn++) {
        if (turn > 100) throw new Error('backfill did not finish');
        // Both at once: one holds the lease; now and then it lapses and the other takes over.
        const [a, b] = await Promise.all(replicas.map((r) => r.compactOnce()));
        expect(a.folded > 0 && b.folded > 0).toBe(false);
        if (rnd() < 0.5) await expireLease(db);
      }
      for (const r of replicas) await r.compactOnce();
      await expireLease(db);
      await replicas[0].compactOnce();
      expect(await db.commits.countDocuments({ folded: { $ne: true } })).toBe(0);
      await expectQueriesExact(h, gen, rnd, 'two replicas', 16);
    });
  });
});
