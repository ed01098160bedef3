import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { AnalyticsEnv } from '../config/analytics.env';
import { AnalyticsCollections } from './analytics-collections';
import { detectServerFlavor } from './server-flavor';

const TTL_INDEX = 'time_ttl';
const INDEX_OPTIONS_CONFLICT = 85;

/**
 * Creates the indexes at start-up (idempotent). The event id needs none: it is `_id`.
 * On MongoDB the events also get a TTL index (ANALYTICS_RETENTION_DAYS); FerretDB refuses TTL
 * indexes, and there the periodic RetentionService delete is the only mechanism (it runs on
 * MongoDB too, for the rollups and task facts, which have no TTL index).
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
    const { events, rollups, tasks } = this.db;
    await Promise.all([
      events.createIndex({ time: -1, _id: -1 }, { name: 'time_id' }),
      events.createIndex({ type: 1, time: -1 }, { name: 'type_time' }),
      events.createIndex({ userId: 1, time: -1 }, { name: 'user_time' }),
      rollups.createIndex({ g: 1, type: 1, bucket: 1 }, { name: 'g_type_bucket' }),
      rollups.createIndex({ userId: 1, g: 1, bucket: 1 }, { name: 'user_g_bucket' }),
      rollups.createIndex({ g: 1, bucket: 1 }, { name: 'g_bucket' }),
      tasks.createIndex({ dueAt: 1 }, { name: 'due' }),
      tasks.createIndex({ completedAt: 1 }, { name: 'completed' }),
      tasks.createIndex({ userId: 1, dueAt: 1 }, { name: 'user_due' }),
      tasks.createIndex({ lastEventAt: 1 }, { name: 'last_event' }),
    ]);
    const flavor = await detectServerFlavor(this.db.connection);
    if (flavor.ferretdb) {
      this.logger.log(`FerretDB ${flavor.version}: no TTL index, retention by periodic delete only`);
      return;
    }
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
