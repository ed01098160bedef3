import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { AnalyticsEnv } from '../config/analytics.env';
import { AnalyticsCollections } from './analytics-collections';
import { detectServerFlavor } from './server-flavor';

const TTL_INDEX = 'time_ttl';
const INDEX_OPTIONS_CONFLICT = 85;

/**
 * Creates the indexes at start-up (idempotent). The event id needs none: it is `_id`, whose
 * uniqueness makes storage exactly-once on every server.
 *
 * MongoDB gets the secondary indexes the queries use (user+time, type+time, time) and a TTL index
 * (ANALYTICS_RETENTION_DAYS). FerretDB 1.24 (SQLite) gets none of them, deliberately: it pushes
 * only `_id` filters down to SQLite and evaluates every other filter by scanning, so secondary
 * indexes never speed a query up there, while maintaining them made inserts ~3× slower (measured:
 * 20 000 events 16 300/s without, 5 400/s with the three indexes). FerretDB also refuses TTL
 * indexes; the periodic RetentionService delete covers it (and the task facts everywhere).
 */
@Injectable()
export class AnalyticsIndexes implements OnModuleInit {
  private readonly logger = new Logger(AnalyticsIndexes.name);

  constructor(
    private readonly db: AnalyticsCollections,
    private readonly env: AnalyticsEnv,
  ) {}

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
    ]);
    await this.ensureTtl(this.env.ANALYTICS_RETENTION_DAYS * 86_400);
  }

  private async ensureTtl(seconds: number): Promise<void> {
    try {
      await this.db.events.createIndex({ time: 1 }, { name: TTL_INDEX, expireAfterSeconds: seconds });
    } catch (e) {
      if ((e as { code?: number }).code !== INDEX_OPTIONS_CONFLICT) throw e;
      // The retention setting changed since the index was made: adjust it in place.
      await this.db.connection.db!.command({ collMod: 'events', index: { name: TTL_INDEX, expireAfterSeconds: seconds } });
      this.logger.log(`TTL of events changed to ${seconds} s`);
    }
  }
}
