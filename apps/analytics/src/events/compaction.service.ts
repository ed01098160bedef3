import { randomUUID } from 'node:crypto';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { PeriodicJob } from '@aether/service-kit';
import { AnalyticsEnv } from '../config/analytics.env';
import { AnalyticsCollections, type CommitDoc, type JournalDoc, type StateDoc } from './analytics-collections';
import { UpgradeBackfill } from './backfill';
import { Lease } from './lease';
import {
  addToSlots,
  dayDocRef,
  decodeSlotDoc,
  edgeDocRef,
  encodeSlotDoc,
  fromCompact,
  hourDocRef,
  retentionCutoff,
  scopesOf,
  toCompact,
  type CompactEvent,
  type DocRef,
  type EdgeDoc,
  type EventFacts,
  type SlotDoc,
  type SlotDocKind,
} from './rollup-model';
import { RollupStore, type RollupDoc } from './rollup-store';

export const COMPACTION_STATE_ID = 'compaction';
const LEASE_ID = 'compaction-lease';
const LEASE_TTL_MS = 30_000;
const LEASE_MARGIN_MS = 10_000;
/** Most events folded in one batch (bounds one pass's memory and time). */
export const MAX_BATCH_EVENTS = 50_000;
/** A journal without commit older than this lost its writer (a crash between journal and commit): compaction resolves it. */
export const ABANDONED_JOURNAL_MS = 30_000;
const PARTITION_CONCURRENCY = 4;

export interface CompactionResult {
  /** Events folded into the rollups by this pass. */
  folded: number;
  /** More committed journals are waiting (the next pass should start at once). */
  more: boolean;
}

/** A committed journal: its events and its commit. */
export interface CommittedJournal {
  journal: JournalDoc;
  commit: CommitDoc;
}

/** The events of a committed journal that its batch stored. */
export function journalEvents({ journal, commit }: CommittedJournal): EventFacts[] {
  const skip = new Set(commit.skip ?? []);
  return (JSON.parse(journal.e) as CompactEvent[]).filter((c) => !skip.has(c[0])).map(fromCompact);
}

/** The committed journals among `commits` (a commit whose journal is gone was folded meanwhile). */
export async function committedJournals(db: AnalyticsCollections, commits: CommitDoc[]): Promise<CommittedJournal[]> {
  if (commits.length === 0) return [];
  const journals = await db.journal.find({ _id: { $in: commits.map((c) => c._id) } }).toArray();
  const byId = new Map(commits.map((c) => [c._id, c]));
  return journals.map((journal) => ({ journal, commit: byId.get(journal._id)! }));
}

interface SlotWork {
  kind: SlotDocKind;
  ref: DocRef;
  events: EventFacts[];
}

/**
 * Folds committed ingest journals into the rollups, off the ingest path, one replica at a time
 * (a lease in `analytics_state`). Exactly once across crashes and replicas:
 * 1. the batch is planned first: `{seq, planned: [journal ids], applied: false}`, written only if
 *    `seq` still follows the last batch (compare-and-set);
 * 2. each rollup doc is read, added to and replaced whole with `seq` set, unless it already
 *    carries this `seq` (a replay after a crash skips what was written); edge docs skip events
 *    whose id they already hold;
 * 3. the batch's journals and commits are deleted (a sealed commit is kept a day, marked
 *    folded), then the plan is marked applied.
 * A crash anywhere replays the unfinished plan with the same journals. Queries use `seq` to tell
 * whether a journal they read is already inside a rollup doc (see RollupReader).
 *
 * Events stored before the ingest journal existed (an upgrade) are journaled by UpgradeBackfill,
 * one bounded step per pass until none is left, and then folded like any other batch.
 *
 * Events older than the retention cutoff are not folded but deleted, so raw events and rollups
 * never disagree about what retention removed. Retention itself runs under the same lease
 * (`exclusive`).
 */
@Injectable()
export class CompactionService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(CompactionService.name);
  private readonly lease: Lease;
  private readonly backfill: UpgradeBackfill;
  private job?: PeriodicJob;
  /** Compaction and retention of this process, one after the other (the lease is per process). */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: AnalyticsCollections,
    private readonly rollups: RollupStore,
    private readonly env: AnalyticsEnv,
  ) {
    this.lease = new Lease(db.state, LEASE_ID, randomUUID(), LEASE_TTL_MS, LEASE_MARGIN_MS);
    this.backfill = new UpgradeBackfill(db, this.lease, env.ANALYTICS_BACKFILL_BATCH);
  }

  onApplicationBootstrap(): void {
    if (this.env.ANALYTICS_COMPACTION_INTERVAL_MS === 0) return;
    this.job = new PeriodicJob({
      name: 'analytics-compaction',
      intervalMs: this.env.ANALYTICS_COMPACTION_INTERVAL_MS,
      backoff: { initialMs: this.env.ANALYTICS_COMPACTION_INTERVAL_MS, maxMs: 30_000 },
      run: async () => ((await this.compactOnce()).more ? 'again' : undefined),
    });
    this.job.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.job?.stop();
    await this.chain;
    await this.lease.release().catch(() => undefined);
  }

  /**
   * Runs `work` while holding the compaction lease, after this process's running pass. Resolves
   * to undefined (without running it) when another replica holds the lease.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T | undefined> {
    const run = this.chain.then(async () => ((await this.lease.acquire()) ? work() : undefined));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /**
   * One pass: finishes an interrupted batch, journals the next step of the upgrade backfill (until
   * it is done: see UpgradeBackfill), then folds the next batch.
   */
  async compactOnce(now = new Date()): Promise<CompactionResult> {
    const pass = await this.exclusive(async () => {
      const backfillMore = await this.backfill.step();
      const result = await this.foldNext(now);
      return { folded: result.folded, more: result.more || backfillMore };
    });
    return pass ?? { folded: 0, more: false };
  }

  /** Folds everything committed so far; only inside exclusive() (retention uses it). */
  async foldAllHeld(now: Date): Promise<void> {
    while ((await this.foldNext(now)).more);
  }

  private async foldNext(now: Date): Promise<CompactionResult> {
    // Before any fold: a backfill step interrupted after its journal must move its cursor first.
    await this.backfill.settle();
    const state = (await this.db.state.findOne({ _id: COMPACTION_STATE_ID })) ?? { _id: COMPACTION_STATE_ID, seq: 0, planned: [], applied: true };
    const seq = state.seq ?? 0;
    if (!state.applied) {
      const commits = await this.db.commits.find({ _id: { $in: state.planned ?? [] } }).toArray();
      const journals = await committedJournals(this.db, commits);
      await this.apply(seq, journals, now);
      await this.finish(seq, commits);
    }
    await this.sealAbandoned(now);

    const pending = (await this.db.commits.find({ folded: { $ne: true } }).toArray()).sort((a, b) => a.at.getTime() - b.at.getTime() || a._id.localeCompare(b._id));
    if (pending.length === 0) return { folded: 0, more: false };
    // Sizes from the journal headers (a backlog of journals is large), then the events of the ones picked.
    const sizes = new Map(
      (await this.db.journal.find({ _id: { $in: pending.map((c) => c._id) } }, { projection: { n: 1 } }).toArray()).map((j) => [j._id, j.n ?? 1]),
    );
    const picked: CommitDoc[] = [];
    let events = 0;
    for (const c of pending) {
      const n = sizes.get(c._id) ?? 0;
      if (picked.length > 0 && events + n > MAX_BATCH_EVENTS) break;
      picked.push(c);
      events += n;
    }
    const next = seq + 1;
    await this.lease.keep();
    if (!(await this.plan(seq, next, picked.map((c) => c._id)))) return { folded: 0, more: false };
    const folded = await this.apply(next, await committedJournals(this.db, picked), now);
    await this.finish(next, picked);
    return { folded, more: pending.length > picked.length };
  }

  /** Compare-and-set of the plan: false when another replica planned `next` already. */
  private async plan(prev: number, next: number, planned: string[]): Promise<boolean> {
    const doc: StateDoc = { _id: COMPACTION_STATE_ID, seq: next, planned, applied: false };
    if (prev === 0) {
      try {
        await this.db.state.insertOne(doc);
        return true;
      } catch (e) {
        if ((e as { code?: number }).code === 11000) return false;
        throw e;
      }
    }
    const r = await this.db.state.updateOne({ _id: COMPACTION_STATE_ID, seq: prev }, { $set: { seq: next, planned, applied: false } });
    return r.matchedCount === 1;
  }

  private async finish(seq: number, commits: CommitDoc[]): Promise<void> {
    await this.lease.keep();
    const ids = commits.map((c) => c._id);
    const sealed = commits.filter((c) => c.sealed).map((c) => c._id);
    if (ids.length > 0) await this.db.journal.deleteMany({ _id: { $in: ids } });
    if (sealed.length > 0) await this.db.commits.updateMany({ _id: { $in: sealed } }, { $set: { folded: true } });
    if (ids.length > sealed.length) await this.db.commits.deleteMany({ _id: { $in: ids }, sealed: { $ne: true } });
    await this.db.state.updateOne({ _id: COMPACTION_STATE_ID, seq }, { $set: { applied: true } });
  }

  /** Folds the events of `journals` into the rollups as batch `seq` (idempotent per doc). Returns the events folded. */
  private async apply(seq: number, journals: CommittedJournal[], now: Date): Promise<number> {
    const cutoff = retentionCutoff(now, this.env.ANALYTICS_RETENTION_DAYS).getTime();
    const slots = new Map<string, Map<string, SlotWork>>();
    const edges = new Map<string, Map<string, { ref: DocRef; events: EventFacts[] }>>();
    const expired: string[] = [];
    let folded = 0;
    const slotWork = (kind: SlotDocKind, ref: DocRef, e: EventFacts) => {
      let p = slots.get(ref.partition);
      if (!p) slots.set(ref.partition, (p = new Map()));
      let w = p.get(ref.id);
      if (!w) p.set(ref.id, (w = { kind, ref, events: [] }));
      w.events.push(e);
    };
    for (const j of journals) {
      for (const e of journalEvents(j)) {
        if (e.timeMs < cutoff) {
          expired.push(e.id);
          continue;
        }
        folded += 1;
        for (const scope of scopesOf(e)) {
          slotWork('day', dayDocRef(scope, e.timeMs), e);
          slotWork('hour', hourDocRef(scope, e.timeMs), e);
        }
        const ref = edgeDocRef(e.timeMs);
        let p = edges.get(ref.partition);
        if (!p) edges.set(ref.partition, (p = new Map()));
        let w = p.get(ref.id);
        if (!w) p.set(ref.id, (w = { ref, events: [] }));
        w.events.push(e);
      }
    }

    const tasks: Array<() => Promise<void>> = [];
    for (const [partition, work] of slots) tasks.push(() => this.applySlots(seq, partition, [...work.values()]));
    for (const [partition, work] of edges) tasks.push(() => this.applyEdges(partition, [...work.values()]));
    await runLimited(tasks, PARTITION_CONCURRENCY);
    if (expired.length > 0) {
      // Too old to keep: retention already removed their buckets (or is about to), so they go too.
      await this.lease.keep();
      await this.db.events.deleteMany({ _id: { $in: expired } });
      this.logger.warn(`Deleted ${expired.length} events older than the retention cutoff instead of folding them`);
    }
    return folded;
  }

  private async applySlots(seq: number, partition: string, work: SlotWork[]): Promise<void> {
    const existing = await this.rollups.read(work.map((w) => w.ref));
    const out: RollupDoc[] = [];
    for (const w of work) {
      const counts = decodeSlotDoc(w.kind, existing.get(w.ref.id) as SlotDoc | undefined);
      if (counts.seq >= seq) continue; // written by this batch before a crash
      for (const e of w.events) addToSlots(w.kind, counts, w.ref.bucket, e);
      counts.seq = seq;
      out.push(encodeSlotDoc(w.ref, counts));
    }
    await this.lease.keep();
    if (out.length > 0) await this.rollups.write(partition, out, new Set(existing.keys()));
  }

  private async applyEdges(partition: string, work: Array<{ ref: DocRef; events: EventFacts[] }>): Promise<void> {
    const existing = await this.rollups.read(work.map((w) => w.ref));
    const out: EdgeDoc[] = [];
    for (const w of work) {
      const doc = existing.get(w.ref.id) as EdgeDoc | undefined;
      const entries: CompactEvent[] = doc?.e ? (JSON.parse(doc.e) as CompactEvent[]) : [];
      const have = new Set(entries.map((c) => c[0]));
      const added = w.events.filter((e) => !have.has(e.id));
      if (added.length === 0) continue;
      entries.push(...added.map(toCompact));
      out.push({ _id: w.ref.id, b: new Date(w.ref.bucket), e: JSON.stringify(entries) });
    }
    await this.lease.keep();
    if (out.length > 0) await this.rollups.write(partition, out, new Set(existing.keys()));
  }

  /**
   * A journal without commit whose writer died between writing it and committing it: its events
   * may or may not have been stored. The stored ones carry the journal's id (`j`); those are
   * counted: compaction commits the journal itself, sealed with what it counted (a writer that
   * was only slow then journals the rest: see EventStore). The unique commit `_id` decides a race
   * with that writer.
   */
  private async sealAbandoned(now: Date): Promise<void> {
    const old = await this.db.journal.find({ at: { $lt: new Date(now.getTime() - ABANDONED_JOURNAL_MS) } }, { projection: { at: 1 } }).toArray();
    if (old.length === 0) return;
    const committed = new Set((await this.db.commits.find({ _id: { $in: old.map((j) => j._id) } }, { projection: { _id: 1 } }).toArray()).map((c) => c._id));
    for (const { _id } of old.filter((j) => !committed.has(j._id))) {
      const journal = await this.db.journal.findOne({ _id });
      if (!journal) continue;
      const ids = (JSON.parse(journal.e) as CompactEvent[]).map((c) => c[0]);
      const stored = await this.db.events.find({ _id: { $in: ids } }, { projection: { j: 1 } }).toArray();
      const counted = new Set(stored.filter((d) => d.j === _id).map((d) => d._id));
      await this.lease.keep();
      try {
        await this.db.commits.insertOne({ _id, at: journal.at, skip: ids.filter((id) => !counted.has(id)), sealed: true, counted: [...counted] });
        this.logger.warn(`Recovered an abandoned ingest batch: ${counted.size} of ${ids.length} events were stored`);
      } catch (e) {
        if ((e as { code?: number }).code !== 11000) throw e; // its writer committed meanwhile
      }
    }
  }
}

/**
 * Runs `tasks`, at most `limit` at a time. After a failure no new task starts, and the first
 * error is thrown only once the running ones have ended: a pass must not end (and the next one
 * replay its batch) while writes of it are still in flight.
 */
async function runLimited(tasks: Array<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < tasks.length) {
      try {
        await tasks[next++]();
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  if (failure) throw failure.error;
}
