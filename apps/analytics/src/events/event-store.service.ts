import { Injectable, Logger } from '@nestjs/common';
import type { mongo } from 'mongoose';
import { AnalyticsCollections, type RollupDoc, type TaskStateDoc } from './analytics-collections';
import { GRANULARITIES, floorTo } from './buckets';
import type { EventRecord } from './event-record';

const DUPLICATE_KEY = 11000;

export interface StoreResult {
  /** Ids stored for the first time (their rollups were incremented). */
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

/**
 * Stores events exactly once and keeps the rollup counters in step.
 *
 * The event id is the primary key, so a redelivered event fails its insert with E11000 and is
 * reported as a duplicate; rollups (`$inc` upserts) and task facts are applied only for events
 * inserted by this call, so redelivery never double-counts. One round trip per collection per
 * batch. Known gap: if the process dies after the insert but before the rollup write, the
 * redelivered events count as duplicates and those rollups stay short (the raw events, and
 * therefore ListEvents, remain exact); graceful shutdown drains batches first.
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

    const rejected = new Map<number, WriteErrorLike>();
    try {
      await this.db.events.insertMany(unique.map((r) => r.doc), { ordered: false });
    } catch (e) {
      const writeErrors = bulkWriteErrors(e);
      if (!writeErrors) throw e; // nothing known about what was written: the whole batch is retried
      for (const we of writeErrors) rejected.set(we.index, we);
    }

    const fresh: EventRecord[] = [];
    unique.forEach((r, i) => {
      const err = rejected.get(i);
      if (!err) {
        fresh.push(r);
        result.inserted.push(r.doc._id);
      } else if (err.code === DUPLICATE_KEY) result.duplicates.push(r.doc._id);
      else result.failed.set(r.doc._id, new Error(`insert failed: ${err.errmsg ?? `code ${err.code}`}`));
    });

    if (fresh.length > 0) {
      let t = performance.now();
      await this.applyRollups(fresh);
      console.log('PROBE rollups', performance.now() - t);
      t = performance.now();
      await this.applyTaskFacts(fresh);
      console.log('PROBE tasks', performance.now() - t);
    }
    return result;
  }

  private async applyRollups(records: EventRecord[]): Promise<void> {
    // Sum the batch in memory first: a burst of one type in one minute becomes one upsert per bucket.
    const acc = new Map<string, Omit<RollupDoc, '_id'>>();
    for (const { doc } of records) {
      for (const g of GRANULARITIES) {
        const bucket = floorTo(doc.time, g);
        const key = `${g}|${doc.type}|${doc.userId}|${bucket.toISOString()}`;
        let r = acc.get(key);
        if (!r) acc.set(key, (r = { g, type: doc.type, userId: doc.userId, bucket, count: 0 }));
        r.count += 1;
        if (doc.promptTokens) r.promptTokens = (r.promptTokens ?? 0) + doc.promptTokens;
        if (doc.completionTokens) r.completionTokens = (r.completionTokens ?? 0) + doc.completionTokens;
        if (doc.costUsd) r.costUsd = (r.costUsd ?? 0) + doc.costUsd;
      }
    }
    const ops: mongo.AnyBulkWriteOperation<RollupDoc>[] = [...acc].map(([key, r]) => {
      const inc: Record<string, number> = { count: r.count };
      if (r.promptTokens) inc.promptTokens = r.promptTokens;
      if (r.completionTokens) inc.completionTokens = r.completionTokens;
      if (r.costUsd) inc.costUsd = r.costUsd;
      return {
        updateOne: {
          filter: { _id: key },
          update: { $setOnInsert: { g: r.g, type: r.type, userId: r.userId, bucket: r.bucket }, $inc: inc },
          upsert: true,
        },
      };
    });
    await this.bulkWithUpsertRetry(ops);
  }

  /** Upserts racing on the same new _id (another replica) can fail with E11000; the retry then updates. */
  private async bulkWithUpsertRetry(ops: mongo.AnyBulkWriteOperation<RollupDoc>[]): Promise<void> {
    try {
      await this.db.rollups.bulkWrite(ops, { ordered: false });
    } catch (e) {
      const errs = bulkWriteErrors(e);
      if (!errs || errs.some((we) => we.code !== DUPLICATE_KEY)) throw e;
      this.logger.debug(`retrying ${errs.length} rollup upsert(s) that raced`);
      await this.db.rollups.bulkWrite(errs.map((we) => ops[we.index]), { ordered: false });
    }
  }

  private async applyTaskFacts(records: EventRecord[]): Promise<void> {
    const ops: mongo.AnyBulkWriteOperation<TaskStateDoc>[] = [];
    for (const { task } of records) {
      if (!task) continue;
      const set: Partial<TaskStateDoc> = { lastEventAt: task.time };
      if (task.dueAt !== undefined) set.dueAt = task.dueAt;
      ops.push({
        updateOne: { filter: { _id: task.taskId }, update: { $setOnInsert: { userId: task.userId }, $set: set }, upsert: true },
      });
      // "First time" fields: only set while absent, so a later edit of a done task changes nothing.
      if (task.completed) {
        ops.push({ updateOne: { filter: { _id: task.taskId, completedAt: { $exists: false } }, update: { $set: { completedAt: task.time } } } });
      }
      if (task.closed) {
        ops.push({ updateOne: { filter: { _id: task.taskId, closedAt: { $exists: false } }, update: { $set: { closedAt: task.time } } } });
      }
    }
    // Ordered: the upsert that creates a task must run before the conditional updates on it.
    if (ops.length > 0) await this.db.tasks.bulkWrite(ops, { ordered: true });
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
