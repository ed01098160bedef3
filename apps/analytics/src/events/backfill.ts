import { createHash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { AnalyticsCollections, JournalDoc } from './analytics-collections';
import { factsOf, type EventDoc } from './event-record';
import type { Lease } from './lease';
import { toCompact, type CompactEvent } from './rollup-model';

export const BACKFILL_STATE_ID = 'backfill';
const DUPLICATE_KEY = 11000;
const isDuplicate = (e: unknown) => (e as { code?: number }).code === DUPLICATE_KEY;

/** The fields of an event the rollups need (the payload stays on the server). */
const FACT_FIELDS = { _id: 1, time: 1, type: 1, userId: 1, promptTokens: 1, completionTokens: 1, costUsd: 1 } as const;

/**
 * The journal of the step that starts after `after` (undefined: the first step). Deterministic,
 * so a step repeated after a crash, or by another replica, finds the journal it wrote.
 */
export function backfillJournalId(after: string | undefined): string {
  return `backfill-${createHash('sha256').update(after ?? '').digest('hex').slice(0, 32)}`;
}

/**
 * Upgrade backfill: events stored before the ingest journal existed carry no journal id (`j`)
 * and are in no rollup. They are turned into committed journals, `batchSize` at a time in
 * `_id` order, which compaction then folds like any other: exactly once, by the same code path.
 *
 * Progress is one state document, `{_id: 'backfill', after: <last _id journaled>, done}`. A step
 * writes the journal of the events after `after` (its `_id` derived from `after`), its commit,
 * then moves `after` to the journal's last event (compare-and-set). Exactly once because:
 * - events written since the upgrade carry `j` and are never selected; an old event redelivered
 *   now is a duplicate for ingest (E11000) and journaled by nobody else;
 * - a step repeated after a crash (or by a second replica) computes the same journal id: the
 *   journal found is completed and the cursor moved by its content, never re-read events;
 * - no journal is folded while the cursor still points before it: compaction settles the
 *   backfill (`settle()`) before every fold, and all of this runs under the compaction lease,
 *   asserted before each write.
 * When a step finds nothing more, `done` is set and later passes cost one cached flag.
 */
export class UpgradeBackfill {
  private readonly logger = new Logger(UpgradeBackfill.name);
  private finished = false;

  constructor(
    private readonly db: AnalyticsCollections,
    private readonly lease: Lease,
    /**
     * Events per step (ANALYTICS_BACKFILL_BATCH). Large, because on FerretDB 1.24 every step scans
     * the whole `events` collection; 50 000 events make a journal of ~6 MB (the limit is 16 MB).
     */
    private readonly batchSize: number,
  ) {}

  /**
   * Completes a step interrupted after its journal was written (commit, cursor). Must run before
   * any fold: folding deletes the journal by which a repeated step recognises its own work.
   * Returns the cursor, or undefined when the backfill is done.
   */
  async settle(): Promise<{ after?: string } | undefined> {
    if (this.finished) return undefined;
    const state = await this.db.state.findOne({ _id: BACKFILL_STATE_ID });
    if (state?.done) {
      this.finished = true;
      return undefined;
    }
    const after = state?.after;
    const journal = await this.db.journal.findOne({ _id: backfillJournalId(after) });
    if (!journal) return { after };
    await this.complete(after, journal);
    return { after: lastId(journal) };
  }

  /** One bounded step: journals the next batch of pre-journal events. Returns whether more may follow. */
  async step(): Promise<boolean> {
    const cursor = await this.settle();
    if (!cursor) return false;
    const { after } = cursor;
    // One scan of `events` on FerretDB (minutes at a million events on a busy machine): the lease is renewed meanwhile.
    const docs = await this.lease.during(
      this.db.events
        .find<Pick<EventDoc, keyof typeof FACT_FIELDS>>({ j: { $exists: false }, ...(after === undefined ? {} : { _id: { $gt: after } }) }, { projection: FACT_FIELDS })
        .sort({ _id: 1 })
        .limit(this.batchSize)
        .toArray(),
    );
    await this.lease.keep();
    if (docs.length === 0) {
      await this.db.state.updateOne({ _id: BACKFILL_STATE_ID }, { $set: { done: true } }, { upsert: true });
      this.finished = true;
      this.logger.log('Upgrade backfill done: every event stored before the ingest journal is in the rollups');
      return false;
    }
    const e: CompactEvent[] = docs.map((d) => toCompact(factsOf({ ...d, userId: d.userId ?? '' } as EventDoc)));
    let journal: JournalDoc = { _id: backfillJournalId(after), at: new Date(), n: e.length, e: JSON.stringify(e) };
    try {
      await this.db.journal.insertOne(journal);
    } catch (err) {
      if (!isDuplicate(err)) throw err;
      // Written by an earlier attempt of this step: its content is what counts.
      journal = (await this.db.journal.findOne({ _id: journal._id })) ?? journal;
    }
    await this.complete(after, journal);
    this.logger.log(`Upgrade backfill: journaled ${journal.n} events stored before the ingest journal existed`);
    return docs.length === this.batchSize;
  }

  /** Commits `journal` (idempotent) and moves the cursor from `after` past its events. */
  private async complete(after: string | undefined, journal: JournalDoc): Promise<void> {
    await this.lease.keep();
    try {
      await this.db.commits.insertOne({ _id: journal._id, at: journal.at, skip: [] });
    } catch (err) {
      if (!isDuplicate(err)) throw err;
    }
    const next = lastId(journal);
    if (after === undefined) {
      try {
        await this.db.state.insertOne({ _id: BACKFILL_STATE_ID, after: next });
      } catch (err) {
        if (!isDuplicate(err)) throw err;
        await this.db.state.updateOne({ _id: BACKFILL_STATE_ID, after: { $exists: false } }, { $set: { after: next } });
      }
      return;
    }
    await this.db.state.updateOne({ _id: BACKFILL_STATE_ID, after }, { $set: { after: next } });
  }
}

/** The last event of a backfill journal: events are journaled in `_id` order. */
function lastId(journal: JournalDoc): string {
  const e = JSON.parse(journal.e) as CompactEvent[];
  return e[e.length - 1][0];
}
