import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { Collection, Connection } from 'mongoose';
import type { EventDoc } from './event-record';

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
 * One ingest batch, written before its events (see EventStore): the facts compaction folds into
 * the rollups, and the queries read while they are not folded yet (the "tail"). Never changed
 * after it is written; it counts only once its commit record exists.
 */
export interface JournalDoc {
  _id: string;
  at: Date;
  /** Number of events in `e` (compaction sizes its batches without reading them). */
  n: number;
  /** JSON of CompactEvent[] (see rollup-model.ts). */
  e: string;
}

/**
 * The commit of a journal (same `_id`), inserted once: by its writer after the insert, or by
 * compaction when the writer died (`sealed`). The unique `_id` decides which of the two won.
 */
export interface CommitDoc {
  _id: string;
  at: Date;
  /** Ids in the journal that its batch did not store (duplicates of stored events, failures). */
  skip: string[];
  /** Written by compaction for an abandoned journal: the ids it found stored by that batch. */
  sealed?: boolean;
  counted?: string[];
  /** A sealed commit whose journal is folded, kept a day so a late writer can see what was counted. */
  folded?: boolean;
}

/** The compaction lease and the compaction plan (a handful of documents). */
export interface StateDoc {
  _id: string;
  /** A lease holding (see Lease): the lease's name, its epoch, holder and expiry. */
  lease?: string;
  epoch?: number;
  owner?: string;
  until?: Date;
  /** Last planned compaction batch. */
  seq?: number;
  /** Journal ids of batch `seq`. */
  planned?: string[];
  /** Batch `seq` is fully applied (its journals deleted). */
  applied?: boolean;
  /** Upgrade backfill (see UpgradeBackfill): the last pre-journal event `_id` journaled, and whether none is left. */
  after?: string;
  done?: boolean;
}

export const JOURNAL_COLLECTION = 'analytics_journal';
export const COMMITS_COLLECTION = 'analytics_journal_commits';
export const STATE_COLLECTION = 'analytics_state';
/** MongoDB only: every rollup partition in one collection (FerretDB: one collection each). */
export const ROLLUPS_COLLECTION = 'analytics_rollups';

/**
 * The collections, used through the driver rather than mongoose documents: the hot path is bulk
 * inserts and the reads are small keyed reads, where hydrating documents would only cost time.
 * Indexes are created by AnalyticsIndexes (not mongoose autoIndex): they depend on the server.
 */
@Injectable()
export class AnalyticsCollections {
  readonly events: Collection<EventDoc>;
  readonly tasks: Collection<TaskStateDoc>;
  readonly journal: Collection<JournalDoc>;
  readonly commits: Collection<CommitDoc>;
  readonly state: Collection<StateDoc>;

  constructor(@InjectConnection() readonly connection: Connection) {
    this.events = connection.collection<EventDoc>('events');
    this.tasks = connection.collection<TaskStateDoc>('task_states');
    this.journal = connection.collection<JournalDoc>(JOURNAL_COLLECTION);
    this.commits = connection.collection<CommitDoc>(COMMITS_COLLECTION);
    this.state = connection.collection<StateDoc>(STATE_COLLECTION);
  }
}
