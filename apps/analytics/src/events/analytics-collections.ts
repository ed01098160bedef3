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
 * The collections, used through the driver rather than mongoose documents: the hot path is bulk
 * inserts and the reads are aggregation pipelines, where hydrating documents would only cost
 * time. Indexes are created by AnalyticsIndexes (not mongoose autoIndex): they depend on the server.
 *
 * There are no counter collections: every figure is aggregated from `events` itself, so counts
 * cannot drift from the stored events (see README.md, "Design").
 */
@Injectable()
export class AnalyticsCollections {
  readonly events: Collection<EventDoc>;
  readonly tasks: Collection<TaskStateDoc>;

  constructor(@InjectConnection() readonly connection: Connection) {
    this.events = connection.collection<EventDoc>('events');
    this.tasks = connection.collection<TaskStateDoc>('task_states');
  }
}
