import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { AnalyticsEnv } from '../config/analytics.env';
import { AnalyticsCollections } from '../events/analytics-collections';
import { floorTo, GRANULARITIES } from '../events/buckets';

export interface PurgeResult {
  events: number;
  rollups: number;
  tasks: number;
}

/**
 * Deletes what is older than ANALYTICS_RETENTION_DAYS, at start-up and then every
 * ANALYTICS_RETENTION_SWEEP_MS. Works on FerretDB (no TTL indexes there) and MongoDB alike; with
 * several replicas each runs it, which is harmless (deletes are idempotent).
 * A rollup bucket goes once it lies wholly before the cut-off, so kept figures are never partial.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RetentionService.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly db: AnalyticsCollections,
    private readonly env: AnalyticsEnv,
  ) {}

  onApplicationBootstrap(): void {
    if (this.timer) return; // bootstrap hooks can run twice in a hybrid (HTTP + gRPC) app
    const sweep = () => {
      this.running ??= this.purge()
        .catch((e) => this.logger.warn(`Retention delete failed (will retry): ${(e as Error).message}`))
        .finally(() => (this.running = undefined));
    };
    sweep();
    this.timer = setInterval(sweep, this.env.ANALYTICS_RETENTION_SWEEP_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  async purge(now = new Date()): Promise<PurgeResult> {
    const cutoff = new Date(now.getTime() - this.env.ANALYTICS_RETENTION_DAYS * 86_400_000);
    const [events, tasks, ...rollups] = await Promise.all([
      this.db.events.deleteMany({ time: { $lt: cutoff } }),
      this.db.tasks.deleteMany({ lastEventAt: { $lt: cutoff } }),
      // bucket < floor(cutoff) ⇔ the whole bucket [bucket, bucket + size) ends at or before the cut-off.
      ...GRANULARITIES.map((g) => this.db.rollups.deleteMany({ g, bucket: { $lt: floorTo(cutoff, g) } })),
    ]);
    const result = {
      events: events.deletedCount,
      tasks: tasks.deletedCount,
      rollups: rollups.reduce((n, r) => n + r.deletedCount, 0),
    };
    if (result.events + result.rollups + result.tasks > 0) {
      this.logger.log(`Retention: deleted ${result.events} events, ${result.rollups} rollups, ${result.tasks} task facts before ${cutoff.toISOString()}`);
    }
    return result;
  }
}
