import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import type { mongo } from 'mongoose';
import { AnalyticsCollections, type JournalDoc, type TaskStateDoc } from './analytics-collections';
import { factsOf, type EventRecord } from './event-record';
import { toCompact } from './rollup-model';

const DUPLICATE_KEY = 11000;
/**
 * Most update statements per write command. FerretDB 1.24 (SQLite) never answers an `update`
 * command that modifies ~50+ existing documents (reproduced: 30 fine, 100 hangs, ordered or not),
 * so bulk updates go out in small commands. Costs nothing noticeable on MongoDB.
 */
const UPDATE_CHUNK = 25;

export interface StoreResult {
  /** Ids stored for the first time. */
  inserted: string[];
  /** Ids that were already stored: success, nothing counted twice. */
  duplicates: string[];
  /** Ids that could not be stored, with the reason (their deliveries should be retried). */
  failed: Map<string, Error>;
}

interface WriteErrorLike {
  code?: number;
  index: number;
  errmsg?: string;
}

type Ops<T extends object> = mongo.AnyBulkWriteOperation<T>[];

/** The ingest journal document announcing `records` (see EventStore). */
export function journalDoc(id: string, records: EventRecord[]): JournalDoc {
  return { _id: id, at: new Date(), n: records.length, e: JSON.stringify(records.map((r) => toCompact(factsOf(r.doc)))) };
}

/**
 * Sends `ops` as consecutive ordered commands of at most UPDATE_CHUNK operations and returns the
 * per-operation errors (indexes relative to `ops`); a failed operation is skipped and the rest
 * sent on. Other failures throw.
 *
 * Why ordered and resumed by hand: FerretDB 1.24 runs an *unordered* update batch like an ordered
 * one, stopping at the first failed statement and silently skipping the rest (no error reported
 * for them). An E11000 from a conditional upsert (an intended no-op) therefore dropped the facts
 * of every later task in the chunk. Ordered commands stop at the first error on every server, so
 * resuming after it is exact on MongoDB and FerretDB alike.
 */
async function chunkedBulkWrite<T extends { _id: string }>(
  collection: { bulkWrite(ops: Ops<T>, o: { ordered: boolean }): Promise<unknown> },
  ops: Ops<T>,
): Promise<WriteErrorLike[]> {
  const errors: WriteErrorLike[] = [];
  let i = 0;
  while (i < ops.length) {
    const chunk = ops.slice(i, i + UPDATE_CHUNK);
    try {
      await collection.bulkWrite(chunk, { ordered: true });
      i += chunk.length;
    } catch (e) {
      const we = bulkWriteErrors(e)?.[0];
      if (!we) throw e;
      // Copied field by field: the driver's WriteError exposes code/index/errmsg as getters, which a spread would drop.
      errors.push({ code: we.code, errmsg: we.errmsg, index: we.index + i });
      i += we.index + 1;
    }
  }
  return errors;
}

/**
 * Upserts whose new `_id` raced with another insert (another replica) fail with E11000; run once
 * more they find the document. A conditional upsert (`{_id, completedAt: {$exists: false}}`)
 * that still fails then means "already set", which is the intended no-op.
 */
async function upsertAll<T extends { _id: string }>(
  collection: { bulkWrite(ops: Ops<T>, o: { ordered: boolean }): Promise<unknown> },
  ops: Ops<T>,
): Promise<void> {
  const failed = await chunkedBulkWrite(collection, ops);
  const first = failed.find((we) => we.code !== DUPLICATE_KEY);
  if (first) throw new Error(`write failed: ${first.errmsg ?? `code ${first.code}`}`);
  if (failed.length === 0) return;
  const again = await chunkedBulkWrite(collection, failed.map((we) => ops[we.index]));
  const real = again.find((we) => we.code !== DUPLICATE_KEY);
  if (real) throw new Error(`write failed: ${real.errmsg ?? `code ${real.code}`}`);
}

/**
 * Stores events exactly once. The event id is the primary key, so a redelivered event fails its
 * insert with E11000 and is reported as a duplicate. The hot path is one unordered insertMany per
 * batch, framed by two single-document inserts (inserts only: their cost does not grow with a
 * backlog of journals, which FerretDB would scan for any filtered update):
 * 1. before the insert, the journal (`analytics_journal`) with the batch's facts, whose id every
 *    event of the batch carries (`j`);
 * 2. after it, the journal's commit (`analytics_journal_commits`, same `_id`) with the ids this
 *    batch did not store (duplicates, failures).
 * Committed journals are what compaction folds into the rollups and what queries read until then,
 * so every stored event is counted once: by the batch that stored it. A writer that dies between
 * 1 and 2 leaves a journal without commit, which compaction later resolves from the stored
 * events' `j`.
 *
 * Task facts (due dates, completion) are idempotent upserts applied for new AND duplicate events:
 * if the process died after the insert but before the facts, the redelivery supplies them.
 */
@Injectable()
export class EventStore {
  private readonly logger = new Logger(EventStore.name);

  constructor(private readonly db: AnalyticsCollections) {}

  async storeBatch(records: EventRecord[]): Promise<StoreResult> {
    const result: StoreResult = { inserted: [], duplicates: [], failed: new Map() };
    // The same id twice within one batch: only the first is a candidate, the rest are duplicates.
    const unique: EventRecord[] = [];
    const seen = new Set<string>();
    for (const r of records) {
      if (seen.has(r.doc._id)) result.duplicates.push(r.doc._id);
      else {
        seen.add(r.doc._id);
        unique.push(r);
      }
    }
    if (unique.length === 0) return result;

    const journalId = randomUUID();
    await this.db.journal.insertOne(journalDoc(journalId, unique));
    const rejected = new Map<number, WriteErrorLike>();
    try {
      await this.db.events.insertMany(
        unique.map((r) => ({ ...r.doc, j: journalId })),
        { ordered: false },
      );
    } catch (e) {
      const writeErrors = bulkWriteErrors(e);
      if (!writeErrors) throw e; // nothing known about what was written: the journal stays uncommitted for compaction to resolve
      for (const we of writeErrors) rejected.set(we.index, we);
    }

    unique.forEach((r, i) => {
      const err = rejected.get(i);
      if (!err) result.inserted.push(r.doc._id);
      else if (err.code === DUPLICATE_KEY) result.duplicates.push(r.doc._id);
      else result.failed.set(r.doc._id, new Error(`insert failed: ${err.errmsg ?? `code ${err.code}`}`));
    });
    await this.commitJournal(journalId, unique, new Set(result.inserted));

    const stored = new Set([...result.inserted, ...result.duplicates]);
    await this.applyTaskFacts(unique.filter((r) => stored.has(r.doc._id)));
    return result;
  }

  /**
   * Commits the batch's journal. If compaction sealed it first (this writer looked dead: the
   * insert took longer than ABANDONED_JOURNAL_MS), the events it found stored are counted; the
   * ones this batch stored after that go into a journal of their own.
   */
  private async commitJournal(journalId: string, candidates: EventRecord[], inserted: Set<string>): Promise<void> {
    const skip = candidates.filter((r) => !inserted.has(r.doc._id)).map((r) => r.doc._id);
    try {
      await this.db.commits.insertOne({ _id: journalId, at: new Date(), skip });
      return;
    } catch (e) {
      if ((e as { code?: number }).code !== DUPLICATE_KEY) throw e;
    }
    const sealed = await this.db.commits.findOne({ _id: journalId });
    const counted = new Set(sealed?.counted ?? []);
    const missed = candidates.filter((r) => inserted.has(r.doc._id) && !counted.has(r.doc._id));
    this.logger.warn(`Ingest batch ${journalId} was sealed by compaction before its commit; ${missed.length} events journaled again`);
    if (missed.length === 0) return;
    const again = journalDoc(randomUUID(), missed);
    await this.db.journal.insertOne(again);
    await this.db.commits.insertOne({ _id: again._id, at: again.at, skip: [] });
  }

  /**
   * Only events that say something about a due date or completion are recorded (a task created
   * without `dueAt` needs nothing: it can be neither overdue nor completed yet). "First time"
   * fields are set only while absent, so a later edit of a done task changes nothing; a due date
   * is set only by an event at least as recent as the last one seen, so a redelivered old event
   * cannot bring back a due date that was changed since (its conditional upsert then fails with
   * E11000, which upsertAll treats as the intended no-op).
   */
  private async applyTaskFacts(records: EventRecord[]): Promise<void> {
    if (!records.some((r) => r.task)) return;
    const ops: Ops<TaskStateDoc> = [];
    // One "first time" op per task and fact, at the batch's earliest time: task-manager reports a
    // completion twice (`updated` and `completed`), and every repeat would be a failed conditional
    // upsert costing a round trip of its own (see chunkedBulkWrite).
    type First = { field: 'completedAt' | 'closedAt'; taskId: string; userId: string; at: Date; eventTime: Date };
    const firsts = new Map<string, First>();
    const first = (field: First['field'], taskId: string, userId: string, at: Date, eventTime: Date) => {
      const seen = firsts.get(`${field}:${taskId}`);
      if (!seen || at < seen.at) firsts.set(`${field}:${taskId}`, { field, taskId, userId, at, eventTime });
    };
    for (const { task } of records) {
      if (!task) continue;
      if (task.dueAt !== undefined) {
        const notNewer = { $or: [{ lastEventAt: { $lte: task.time } }, { lastEventAt: { $exists: false } }] };
        ops.push({
          updateOne: {
            filter: { _id: task.taskId, ...notNewer },
            update: { $setOnInsert: { userId: task.userId }, $set: { dueAt: task.dueAt }, $max: { lastEventAt: task.time } },
            upsert: true,
          },
        });
      }
      if (task.completed) first('completedAt', task.taskId, task.userId, task.closedAt ?? task.time, task.time);
      if (task.closed) first('closedAt', task.taskId, task.userId, task.closedAt ?? task.time, task.time);
    }
    for (const { field, taskId, userId, at, eventTime } of firsts.values()) {
      ops.push({
        updateOne: {
          filter: { _id: taskId, [field]: { $exists: false } },
          update: { $setOnInsert: { userId }, $set: { [field]: at }, $max: { lastEventAt: eventTime } },
          upsert: true,
        },
      });
    }
    if (ops.length > 0) await upsertAll(this.db.tasks, ops);
  }
}

/** The per-document errors of an unordered insertMany/bulkWrite, or undefined for other failures. */
function bulkWriteErrors(e: unknown): WriteErrorLike[] | undefined {
  const we = (e as { writeErrors?: unknown }).writeErrors;
  if (Array.isArray(we) && we.length > 0) return we as WriteErrorLike[];
  if (we && typeof we === 'object' && 'index' in we) return [we as WriteErrorLike];
  // A single failed insert is sometimes reported as a plain MongoServerError with code 11000.
  return undefined;
}
