import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { PeriodicJob } from '@aether/service-kit';
import { AnalyticsEnv } from '../config/analytics.env';
import { AnalyticsCollections } from '../events/analytics-collections';
import { CompactionService } from '../events/compaction.service';
import { retentionCutoff } from '../events/rollup-model';
import { RollupStore } from '../events/rollup-store';

export interface PurgeResult {
  events: number;
  tasks: number;
  rollups: number;
}

/** Sealed commits are kept this long after folding (a late commit of their writer reads them). */
const FOLDED_JOURNAL_KEEP_MS = 86_400_000;

/**
 * Deletes what lies before the retention cutoff (whole UTC days older than
 * ANALYTICS_RETENTION_DAYS), at start-up and then every ANALYTICS_RETENTION_SWEEP_MS: raw events,
 * task facts and the rollup docs of those days together, under the compaction lease, so no
 * compaction pass folds into a day being deleted (compaction drops events older than the cutoff
 * itself). Works on FerretDB (no TTL indexes there) and MongoDB alike; one replica does it.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RetentionService.name);
  private readonly job: PeriodicJob;

  constructor(
    private readonly db: AnalyticsCollections,
    private readonly rollups: RollupStore,
    private readonly compaction: CompactionService,
    private readonly env: AnalyticsEnv,
  ) {
    this.job = new PeriodicJob({ name: 'analytics-retention', intervalMs: env.ANALYTICS_RETENTION_SWEEP_MS, run: () => this.purge() });
  }

  onApplicationBootstrap(): void {
    this.job.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.job.stop();
  }

  /** Resolves to undefined when another replica holds the lease (it purges then). */
  async purge(now = new Date()): Promise<PurgeResult | undefined> {
    const cutoff = retentionCutoff(now, this.env.ANALYTICS_RETENTION_DAYS);
    const result = await this.compaction.exclusive(async () => {
      // Fold the tail first: compaction drops the expired events it holds, so the tail never
      // counts an event this purge deletes.
      await this.compaction.foldAllHeld(now);
      const [events, tasks, rollups] = await Promise.all([
        this.db.events.deleteMany({ time: { $lt: cutoff } }),
        this.db.tasks.deleteMany({ lastEventAt: { $lt: cutoff } }),
        this.rollups.purgeBefore(cutoff),
        this.db.commits.deleteMany({ folded: true, at: { $lt: new Date(now.getTime() - FOLDED_JOURNAL_KEEP_MS) } }),
      ]);
      return { events: events.deletedCount, tasks: tasks.deletedCount, rollups };
    });
    if (result && result.events + result.tasks + result.rollups > 0) {
      this.logger.log(`Retention: deleted ${result.events} events, ${result.tasks} task facts, ${result.rollups} rollup docs before ${cutoff.toISOString()}`);
    }
    return result;
  }
}
