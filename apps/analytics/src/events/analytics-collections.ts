import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { Collection, Connection } from 'mongoose';
import type { Granularity } from './buckets';
import type { EventDoc } from './event-record';

/** Counters for one (granularity, type, user, bucket); `_id` is that tuple joined, so upserts are exact. */
export interface RollupDoc {
  _id: string;
  g: Granularity;
  type: string;
  userId: string;
  bucket: Date;
  count: number;
  promptTokens?: number;
  completionTokens?: number;
  costUsd?: number;
}

/** What analytics knows about one task, for the `completed` and `overdue` figures. */
export interface TaskStateDoc {
  _id: string;
  userId: string;
  dueAt?: Date | null;
  /** First time the task was seen done. */
  completedAt?: Date;
  /** First time it was done, cancelled or deleted (it cannot become overdue after that). */
  closedAt?: Date;
  lastEventAt: Date;
}

/**
 * The three collections, used through the driver rather than mongoose documents: the hot path is
 * bulk inserts/upserts and the reads are aggregation pipelines, where hydrating documents would
 * only cost time. Indexes are created by AnalyticsIndexes (not mongoose autoIndex), because TTL
 * indexes must be skipped on FerretDB.
 */
@Injectable()
export class AnalyticsCollections {
  readonly events: Collection<EventDoc>;
  readonly rollups: Collection<RollupDoc>;
  readonly tasks: Collection<TaskStateDoc>;

  constructor(@InjectConnection() readonly connection: Connection) {
    this.events = connection.collection<EventDoc>('events');
    this.rollups = connection.collection<RollupDoc>('rollups');
    this.tasks = connection.collection<TaskStateDoc>('task_states');
  }
}
