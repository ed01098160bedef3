import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { AnalyticsCollections, ROLLUPS_COLLECTION } from './analytics-collections';
import { detectServerFlavor } from './server-flavor';

const TTL_INDEX = 'time_ttl';

/**
 * Creates the indexes at start-up (idempotent). The event id needs none: it is `_id`, whose
 * uniqueness makes storage exactly-once on every server.
 *
 * MongoDB gets the secondary indexes the raw-event listing and retention use (user+time,
 * type+time, time, rollup bucket). No TTL index: RetentionService deletes whole days of raw
 * events and rollups together, so they never disagree.
 *
 * FerretDB 1.24 (SQLite) gets none of them, deliberately: it pushes only `_id` filters down to SQLite and evaluates every other filter by scanning, so secondary
 * indexes never speed a query up there, while maintaining them made inserts ~3× slower (measured:
 * 20 000 events 16 300/s without, 5 400/s with the three indexes).
 */
@Injectable()
export class AnalyticsIndexes implements OnModuleInit {
  private readonly logger = new Logger(AnalyticsIndexes.name);

  constructor(private readonly db: AnalyticsCollections) {}

  async onModuleInit(): Promise<void> {
    await this.db.connection.asPromise();
    const flavor = await detectServerFlavor(this.db.connection);
    if (flavor.ferretdb) {
      this.logger.log(`FerretDB ${flavor.version}: no secondary or TTL indexes (unused by its planner), retention by periodic delete`);
      return;
    }
    const { events, tasks } = this.db;
    await Promise.all([
      events.createIndex({ time: -1, _id: -1 }, { name: 'time_id' }),
      events.createIndex({ type: 1, time: -1 }, { name: 'type_time' }),
      events.createIndex({ userId: 1, time: -1 }, { name: 'user_time' }),
      tasks.createIndex({ dueAt: 1 }, { name: 'due' }),
      tasks.createIndex({ completedAt: 1 }, { name: 'completed' }),
      tasks.createIndex({ userId: 1, dueAt: 1 }, { name: 'user_due' }),
      tasks.createIndex({ lastEventAt: 1 }, { name: 'last_event' }),
      // Rollup docs are read by `_id`; retention deletes by bucket start.
      this.db.connection.collection(ROLLUPS_COLLECTION).createIndex({ b: 1 }, { name: 'bucket' }),
    ]);
    await this.dropTtl();
  }

  /**
   * Earlier versions expired raw events with a TTL index, each on its own schedule; the rollups
   * would then count events no longer stored. Retention deletes whole days of both instead.
   */
  private async dropTtl(): Promise<void> {
    const indexes = await this.db.events.indexes().catch(() => []);
    if (indexes.some((i) => i.name === TTL_INDEX)) {
      await this.db.events.dropIndex(TTL_INDEX);
      this.logger.log('Dropped the TTL index of events (retention deletes raw events and rollups together)');
    }
  }
}
