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
 * the rollups, and the queries read while they are not folded yet (the "tail").
 * - `open`: the batch's events are being inserted; not counted anywhere yet.
 * - `committed`: the insert finished; `e` minus `skip` are stored events, counted from here
 *   until compaction has folded them (then the journal is deleted).
 * - `folded`: a journal that compaction had to seal (its writer never committed), kept without
 *   its events so a late commit of the writer can tell which events were counted.
 */
export interface JournalDoc {
  _id: string;
  at: Date;
  state: 'open' | 'committed' | 'folded';
  /** JSON of CompactEvent[] (see rollup-model.ts). */
  e?: string;
  /** Ids in `e` that this batch did not store (duplicates of stored events, failed inserts). */
  skip?: string[];
  /** Set by compaction when it sealed an abandoned open journal: the ids found stored by it. */
  sealed?: boolean;
  counted?: string[];
}

/** The compaction lease and the compaction plan (a handful of documents). */
export interface StateDoc {
  _id: string;
  owner?: string;
  until?: Date;
  /** Last planned compaction batch. */
  seq?: number;
  /** Journal ids of batch `seq`. */
  planned?: string[];
  /** Batch `seq` is fully applied (its journals deleted). */
  applied?: boolean;
}

export const JOURNAL_COLLECTION = 'analytics_journal';
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
  readonly state: Collection<StateDoc>;

  constructor(@InjectConnection() readonly connection: Connection) {
    this.events = connection.collection<EventDoc>('events');
    this.tasks = connection.collection<TaskStateDoc>('task_states');
    this.journal = connection.collection<JournalDoc>(JOURNAL_COLLECTION);
    this.state = connection.collection<StateDoc>(STATE_COLLECTION);
  }
}
