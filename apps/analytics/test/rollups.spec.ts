import { randomUUID } from 'node:crypto';
import { AnalyticsEnv } from '../src/config/analytics.env';
import { AnalyticsCollections, type JournalDoc } from '../src/events/analytics-collections';
import { BUCKET_MS, floorTo, type Granularity } from '../src/events/buckets';
import { ABANDONED_JOURNAL_MS, COMPACTION_STATE_ID, CompactionService } from '../src/events/compaction.service';
import { factsOf, toEventRecord, type EventDoc, type IncomingEvent } from '../src/events/event-record';
import { EventStore } from '../src/events/event-store.service';
import { toCompact } from '../src/events/rollup-model';
import { RollupStore } from '../src/events/rollup-store';
import { SummaryService } from '../src/queries/summary.service';
import { TimeseriesService } from '../src/queries/timeseries.service';
import { RetentionService } from '../src/retention/retention.service';
import { AnalyticsHarness } from './support/analytics-harness';

jest.setTimeout(240_000);

const DAY = BUCKET_MS.day;
const HOUR = BUCKET_MS.hour;
const MIN = BUCKET_MS.minute;
const AI = 'ai-gateway.completion.completed';
const TYPES = [AI, 'task-manager.task.created', 'task-manager.task.updated', 'security.user.logged_in', 'docker-manager.container.started'];
const USERS = ['u1', 'u2', 'u.3$x', undefined];

/** Deterministic PRNG (mulberry32), so a failure can be replayed from the printed seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Rollups + tail must answer exactly what a brute-force count over the stored events answers:
 * random events, random batches (with redeliveries), compaction at random points, replays of a
 * batch interrupted after its writes, abandoned journals, two compacting replicas, retention.
 */
describe('analytics rollups equal a brute-force count of the stored events (FerretDB)', () => {
  const h = new AnalyticsHarness();
  const seed = Number(process.env.ROLLUP_SEED ?? Date.now() % 1e9);
  const rnd = prng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  let db: AnalyticsCollections;
  let store: EventStore;
  let compaction: CompactionService;
  const base = floorTo(Date.now() - 3 * DAY, 'day').getTime();

  beforeAll(async () => {
    // Compaction only when the test says so.
    await h.start({ ANALYTICS_COMPACTION_INTERVAL_MS: '0' });
    db = h.get(AnalyticsCollections);
    store = h.get(EventStore);
    compaction = h.get(CompactionService);
    console.log(`rollups.spec seed: ${seed} (ROLLUP_SEED=${seed} replays it)`);
  });
  afterAll(() => h.stop());

  /** Times cluster on minute/hour/day boundaries, where off-by-one slots would show. */
  function randomTime(): number {
    const r = rnd();
    if (r < 0.5) return base + Math.floor(rnd() * 2 * DAY);
    const boundary = base + Math.floor(rnd() * 48) * HOUR + (rnd() < 0.5 ? Math.floor(rnd() * 60) * MIN : 0);
    return boundary + Math.floor((rnd() - 0.5) * 4000);
  }

  function randomEvent(): IncomingEvent {
    const type = pick(TYPES);
    const data = type === AI ? { usage: { promptTokens: Math.floor(rnd() * 500), completionTokens: Math.floor(rnd() * 200), costUsd: Math.floor(rnd() * 5000) / 1e7 } } : {};
    return { id: randomUUID(), type, subject: pick(USERS), time: new Date(randomTime()).toISOString(), data };
  }

  async function stored(): Promise<EventDoc[]> {
    return db.events.find({}).toArray();
  }

  function bruteSummary(all: EventDoc[], from: number, to: number, userId?: string) {
    const byType: Record<string, number> = {};
    let pt = 0;
    let ct = 0;
    let usd = 0;
    for (const d of all) {
      const t = d.time.getTime();
      if (t < from || t >= to || (userId !== undefined && d.userId !== userId)) continue;
      byType[d.type] = (byType[d.type] ?? 0) + 1;
      if (d.type === AI) {
        const f = factsOf(d);
        pt += f.promptTokens;
        ct += f.completionTokens;
        usd += f.usdNano;
      }
    }
    return { byType, promptTokens: pt, completionTokens: ct, costUsd: Math.round(usd / 1e3) / 1e6 };
  }

  function bruteSeries(all: EventDoc[], type: string, g: Granularity, from: number, to: number, userId?: string) {
    const first = floorTo(from, g).getTime();
    const counts = new Map<number, number>();
    for (const d of all) {
      const t = d.time.getTime();
      if (d.type !== type || (userId !== undefined && d.userId !== userId)) continue;
      const b = floorTo(t, g).getTime();
      if (b >= first && b < to) counts.set(b, (counts.get(b) ?? 0) + 1);
    }
    const points: Array<{ t: number; count: number }> = [];
    for (let t = first; t < to; t += BUCKET_MS[g]) points.push({ t, count: counts.get(t) ?? 0 });
    return points;
  }

  /** Random ragged ranges and series, every scope: the answer must equal the brute force. */
  async function expectExact(label: string, rounds = 12): Promise<void> {
    const all = await stored();
    for (let i = 0; i < rounds; i++) {
      const from = base - HOUR + Math.floor(rnd() * 2.2 * DAY);
      const to = from + 1 + Math.floor(rnd() * (rnd() < 0.3 ? 2 * MIN : 1.5 * DAY));
      const userId = pick(USERS);
      const s = await h.get(SummaryService).summarize({ from: new Date(from), to: new Date(to) }, { userId });
      const want = bruteSummary(all, from, to, userId);
      expect({ label, from, to, userId, byType: s.byType, pt: s.ai.promptTokens, ct: s.ai.completionTokens, usd: s.ai.costUsd }).toEqual({
        label,
        from,
        to,
        userId,
        byType: want.byType,
        pt: want.promptTokens,
        ct: want.completionTokens,
        usd: want.costUsd,
      });

      const g = pick<Granularity>(['minute', 'hour', 'day']);
      const span = g === 'minute' ? 1400 * MIN : g === 'hour' ? 60 * HOUR : 5 * DAY;
      const sFrom = base - HOUR + Math.floor(rnd() * 2 * DAY);
      const sTo = sFrom + 1 + Math.floor(rnd() * span);
      const type = pick(TYPES);
      const points = await h.get(TimeseriesService).series(type, g, { from: new Date(sFrom), to: new Date(sTo) }, { userId });
      expect({ label, g, type, userId, points: points.map((p) => ({ t: p.t.getTime(), count: p.count })) }).toEqual({
        label,
        g,
        type,
        userId,
        points: bruteSeries(all, type, g, sFrom, sTo, userId),
      });
    }
  }

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
