import { randomUUID } from 'node:crypto';
import { AnalyticsEnv } from '../src/config/analytics.env';
import { AnalyticsCollections, type JournalDoc } from '../src/events/analytics-collections';
import { BUCKET_MS, floorTo } from '../src/events/buckets';
import { ABANDONED_JOURNAL_MS, COMPACTION_STATE_ID, CompactionService } from '../src/events/compaction.service';
import { factsOf, toEventRecord, type EventDoc, type IncomingEvent } from '../src/events/event-record';
import { EventStore } from '../src/events/event-store.service';
import { toCompact } from '../src/events/rollup-model';
import { RollupStore } from '../src/events/rollup-store';
import { SummaryService } from '../src/queries/summary.service';
import { RetentionService } from '../src/retention/retention.service';
import { AnalyticsHarness } from './support/analytics-harness';
import { expectQueriesExact, prng, RandomEvents, TYPES } from './support/brute-force';

jest.setTimeout(240_000);

const DAY = BUCKET_MS.day;
const HOUR = BUCKET_MS.hour;
const MIN = BUCKET_MS.minute;

/**
 * Rollups + tail must answer exactly what a brute-force count over the stored events answers:
 * random events, random batches (with redeliveries), compaction at random points, replays of a
 * batch interrupted after its writes, abandoned journals, two compacting replicas, retention.
 */
describe('analytics rollups equal a brute-force count of the stored events (FerretDB)', () => {
  const h = new AnalyticsHarness();
  const seed = Number(process.env.ROLLUP_SEED ?? Date.now() % 1e9);
  const rnd = prng(seed);
  let db: AnalyticsCollections;
  let store: EventStore;
  let compaction: CompactionService;
  const base = floorTo(Date.now() - 3 * DAY, 'day').getTime();
  const gen = new RandomEvents(rnd, base);
  const pick = <T>(xs: T[]): T => gen.pick(xs);
  const randomEvent = () => gen.event();
  const expectExact = (label: string, rounds?: number) => expectQueriesExact(h, gen, rnd, label, rounds);

  beforeAll(async () => {
    // Compaction only when the test says so.
    await h.start({ ANALYTICS_COMPACTION_INTERVAL_MS: '0' });
    db = h.get(AnalyticsCollections);
    store = h.get(EventStore);
    compaction = h.get(CompactionService);
    console.log(`rollups.spec seed: ${seed} (ROLLUP_SEED=${seed} replays it)`);
  });
  afterAll(() => h.stop());

  it('stays exact through random batches, redeliveries and compaction at random points', async () => {
    const published: IncomingEvent[] = [];
    for (let step = 0; step < 14; step++) {
      const fresh = Array.from({ length: 20 + Math.floor(rnd() * 150) }, randomEvent);
      // Redeliveries: a few already stored events come again, in this batch or the next.
      const again = published.length > 0 ? Array.from({ length: Math.floor(rnd() * 10) }, () => pick(published)) : [];
      published.push(...fresh);
      await store.storeBatch([...fresh, ...again, ...fresh.slice(0, 3)].map((e) => toEventRecord(e)));
      if (rnd() < 0.5) await compaction.compactOnce();
      if (step % 3 === 0) await expectExact(`step ${step}`, 4);
    }
    await expectExact('before the final compaction');
    while ((await compaction.compactOnce()).more);
    await compaction.compactOnce();
    expect(await db.commits.countDocuments({ folded: { $ne: true } })).toBe(0);
    expect(await db.journal.countDocuments()).toBe(0);
    expect(await db.events.countDocuments()).toBe(published.length);
    await expectExact('all folded');
  });

  it('a batch replayed after a crash between its writes and its end counts nothing twice', async () => {
    await store.storeBatch(Array.from({ length: 200 }, () => toEventRecord(randomEvent())));
    const journals = await db.journal.find({}).toArray();
    const commits = await db.commits.find({ folded: { $ne: true } }).toArray();
    await compaction.compactOnce();
    const state = await db.state.findOne({ _id: COMPACTION_STATE_ID });
    // As if the process died after writing every rollup doc but before deleting the journals.
    await db.journal.insertMany(journals);
    await db.commits.insertMany(commits);
    await db.state.updateOne({ _id: COMPACTION_STATE_ID }, { $set: { applied: false, planned: commits.map((c) => c._id) } });
    await expectExact('batch applied, not finished');
    await compaction.compactOnce(); // replays batch `state.seq`
    expect((await db.state.findOne({ _id: COMPACTION_STATE_ID }))?.seq).toBe(state?.seq);
    expect(await db.journal.countDocuments({ _id: { $in: journals.map((j) => j._id) } })).toBe(0);
    await expectExact('batch replayed');
  });

  it('counts the stored events of an ingest batch whose writer died before committing its journal', async () => {
    const stored = Array.from({ length: 30 }, () => toEventRecord(randomEvent()));
    const lost = Array.from({ length: 10 }, () => toEventRecord(randomEvent()));
    const journal: JournalDoc = {
      _id: randomUUID(),
      at: new Date(Date.now() - ABANDONED_JOURNAL_MS - 1000),
      n: stored.length + lost.length,
      e: JSON.stringify([...stored, ...lost].map((r) => toCompact(factsOf(r.doc)))),
    };
    // The writer got its journal and part of the insert through, then died.
    await db.journal.insertOne(journal);
    await db.events.insertMany(stored.map((r) => ({ ...r.doc, j: journal._id })));
    // The redelivery of a stored one is a duplicate: not journaled again, so not counted twice.
    await store.storeBatch([stored[0]]);
    await compaction.compactOnce();
    expect(await db.commits.findOne({ _id: journal._id })).toMatchObject({ sealed: true, folded: true, counted: expect.arrayContaining(stored.map((r) => r.doc._id)) });
    expect(await db.journal.countDocuments({ _id: journal._id })).toBe(0);
    await expectExact('abandoned journal resolved');
  });

  it('a writer that was only slow (sealed by compaction before its commit) journals what it stored after the seal', async () => {
    const records = Array.from({ length: 25 }, () => toEventRecord(randomEvent()));
    const insertMany = db.events.insertMany.bind(db.events);
    // Compaction seals the journal while the insert is still running: it found none of its events yet.
    const spy = jest.spyOn(db.events, 'insertMany').mockImplementationOnce(async (docs, options) => {
      const journalId = (docs[0] as EventDoc).j!;
      await db.commits.insertOne({ _id: journalId, at: new Date(), skip: docs.map((d) => (d as EventDoc)._id), sealed: true, counted: [] });
      return insertMany(docs, options);
    });
    try {
      await store.storeBatch(records);
    } finally {
      spy.mockRestore();
    }
    await expectExact('late commit, before compaction', 4);
    await compaction.compactOnce();
    await expectExact('late commit, folded', 4);
  });

  it('two replicas compacting at once: one holds the lease, nothing counted twice', async () => {
    const other = new CompactionService(db, h.get(RollupStore), h.get(AnalyticsEnv));
    await store.storeBatch(Array.from({ length: 300 }, () => toEventRecord(randomEvent())));
    const [a, b] = await Promise.all([compaction.compactOnce(), other.compactOnce()]);
    expect([a.folded, b.folded].filter((n) => n > 0)).toHaveLength(1);
    await store.storeBatch(Array.from({ length: 50 }, () => toEventRecord(randomEvent())));
    expect((await other.compactOnce()).folded).toBe(0); // the lease is still the first one's
    await compaction.compactOnce();
    await expectExact('two replicas');
  });

  it('retention deletes raw events and rollups of whole days together; late old events are dropped, not folded', async () => {
    const env = h.get(AnalyticsEnv);
    // "now" such that the first stored day (`base`) falls out of retention, the rest stays.
    const now = new Date(base + (env.ANALYTICS_RETENTION_DAYS + 1) * DAY + HOUR);
    const late = toEventRecord({ id: randomUUID(), type: TYPES[1], subject: 'u1', time: new Date(base + 5 * MIN).toISOString() });
    await store.storeBatch([late]);
    await compaction.compactOnce(now);
    expect(await db.events.countDocuments({ _id: late.doc._id })).toBe(0);
    // One more, still in the tail (not compacted) when retention runs.
    const lateInTail = toEventRecord({ id: randomUUID(), type: TYPES[2], subject: 'u2', time: new Date(base + 7 * MIN).toISOString() });
    await store.storeBatch([lateInTail]);
    const purged = await h.get(RetentionService).purge(now);
    expect(await db.commits.countDocuments({ folded: { $ne: true } })).toBe(0);
    expect(purged?.events).toBeGreaterThan(0);
    expect(purged?.rollups).toBeGreaterThan(0);
    expect(await db.events.countDocuments({ time: { $lt: new Date(base + DAY) } })).toBe(0);
    await expectExact('after retention');
    const s = await h.get(SummaryService).summarize({ from: new Date(base - DAY), to: new Date(base + DAY) }, {});
    expect(s.totals.events).toBe(0);
  });
});
