import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { AnalyticsEnv } from '../config/analytics.env';
import { AnalyticsCollections } from '../events/analytics-collections';

export interface PurgeResult {
  events: number;
  tasks: number;
}

/**
 * Deletes what is older than ANALYTICS_RETENTION_DAYS, at start-up and then every
 * ANALYTICS_RETENTION_SWEEP_MS. Works on FerretDB (no TTL indexes there) and MongoDB alike; with
 * several replicas each runs it, which is harmless (deletes are idempotent). The figures are
 * aggregated from the events, so they shrink with them and never disagree.
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
    const [events, tasks] = await Promise.all([
      this.db.events.deleteMany({ time: { $lt: cutoff } }),
      this.db.tasks.deleteMany({ lastEventAt: { $lt: cutoff } }),
    ]);
    const result = { events: events.deletedCount, tasks: tasks.deletedCount };
    if (result.events + result.tasks > 0) {
      this.logger.log(`Retention: deleted ${result.events} events, ${result.tasks} task facts before ${cutoff.toISOString()}`);
    }
    return result;
  }
}
