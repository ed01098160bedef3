import { PeriodicJob, type PassOutcome } from '@aether/service-kit';
import { Logger } from '@nestjs/common';
import type { DataSource, QueryRunner } from 'typeorm';
import type { AmqpConnection } from '../amqp-connection';
import type { EventPublisher } from '../event-publisher';
import type { MessagingMetrics } from '../messaging-metrics';
import { OutboxEvent } from './outbox-event.entity';
import { OUTBOX_NOTIFY_CHANNEL } from './outbox.migration';
import type { OutboxRelayOptions } from './outbox.options';

type Required2<T> = { [K in keyof T]-?: T[K] };

const DEFAULTS: Required2<OutboxRelayOptions> = {
  pollIntervalMs: 250,
  batchSize: 100,
  initialBackoffMs: 250,
  maxBackoffMs: 5000,
  retentionMs: 24 * 3600_000,
  cleanupIntervalMs: 60_000,
  listen: true,
};

/**
 * Publishes committed outbox rows in order, with confirms, and marks them published.
 *
 * Each batch runs in one transaction that locks its rows with `FOR UPDATE SKIP LOCKED`: another
 * replica's relay skips them, and rows only become "published" when the broker confirmed them.
 * A crash between confirm and commit re-publishes the batch later (at-least-once on the wire;
 * consumers deduplicate on the event id). Woken by polling, by NOTIFY from the insert trigger and
 * by the broker reconnecting; backs off while the broker or the database is down.
 */
export class OutboxRelay {
  private readonly logger = new Logger('OutboxRelay');
  private readonly opts: Required2<OutboxRelayOptions>;
  private readonly job: PeriodicJob;
  private lastCleanup = 0;
  private listener?: QueryRunner;
  private listenRetry?: NodeJS.Timeout;
  private readonly onConnect = () => this.kick();
  /** Rows this relay published (tests and diagnostics). */
  publishedCount = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly publisher: EventPublisher,
    private readonly connection: AmqpConnection,
    private readonly metrics: MessagingMetrics,
    options: OutboxRelayOptions = {},
  ) {
    this.opts = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
    this.job = new PeriodicJob({
      name: 'OutboxRelay',
      intervalMs: this.opts.pollIntervalMs,
      backoff: { initialMs: this.opts.initialBackoffMs, maxMs: this.opts.maxBackoffMs },
      run: () => this.pass(),
    });
  }

  private get running(): boolean {
    return this.job.isRunning;
  }

  start(): void {
    if (this.running) return;
    this.job.start();
    this.connection.manager.on('connect', this.onConnect);
    if (this.opts.listen) void this.listen();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.connection.manager.removeListener('connect', this.onConnect);
    clearTimeout(this.listenRetry);
    await this.job.stop();
    await this.unlisten();
  }

  /** Run a pass now instead of at the next poll. */
  kick(): void {
    this.job.kick();
  }

  /** One pass: a batch (again at once when it was full), then the periodic cleanup. */
  private async pass(): Promise<PassOutcome> {
    if (!this.connection.isConnected()) return 'backoff'; // a reconnect kicks us
    const n = await this.publishBatch();
    await this.cleanupIfDue();
    return n === this.opts.batchSize ? 'again' : undefined;
  }

  /** Publishes up to batchSize rows; returns how many rows it locked. */
  async publishBatch(): Promise<number> {
    return this.dataSource.transaction(async (m) => {
      const rows = await m
        .createQueryBuilder(OutboxEvent, 'o')
        .select(['o.id', 'o.payload'])
        .where('o.publishedAt IS NULL')
        .orderBy('o.seq', 'ASC')
        .limit(this.opts.batchSize)
        .setLock('pessimistic_write')
        .setOnLocked('skip_locked')
        .getMany();
      if (rows.length === 0) return 0;
      // One channel keeps publish order; confirms are awaited together.
      const results = await Promise.allSettled(rows.map((r) => this.publisher.publishEvent(r.payload)));
      const ok = rows.filter((_, i) => results[i].status === 'fulfilled').map((r) => r.id);
      const failed = rows.filter((_, i) => results[i].status === 'rejected').map((r) => r.id);
      if (ok.length) {
        await m.query(`UPDATE "outbox_events" SET "published_at" = now(), "attempts" = "attempts" + 1 WHERE "id" = ANY($1)`, [ok]);
      }
      const reason = (results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined)?.reason as Error | undefined;
      if (failed.length) {
        await m.query(`UPDATE "outbox_events" SET "attempts" = "attempts" + 1, "last_error" = $2 WHERE "id" = ANY($1)`, [failed, String(reason?.message ?? reason).slice(0, 1000)]);
      }
      this.publishedCount += ok.length;
      if (ok.length) this.metrics.outboxRelayed.inc({ result: 'ok' }, ok.length);
      if (failed.length) {
        this.metrics.outboxRelayed.inc({ result: 'error' }, failed.length);
        // Surface it so the loop backs off instead of hammering a failing broker.
        throw new Error(`${failed.length} of ${rows.length} outbox events not published: ${reason?.message ?? reason}`);
      }
      return rows.length;
    });
  }

  private async cleanupIfDue(): Promise<void> {
    if (Date.now() - this.lastCleanup < this.opts.cleanupIntervalMs) return;
    this.lastCleanup = Date.now();
    await this.purgePublished();
  }

  /** Deletes rows published longer ago than retentionMs (in chunks, to keep transactions short). */
  async purgePublished(): Promise<number> {
    let total = 0;
    for (;;) {
      const res = await this.dataSource.query(
        `DELETE FROM "outbox_events" WHERE "id" IN (
           SELECT "id" FROM "outbox_events"
           WHERE "published_at" IS NOT NULL AND "published_at" < now() - make_interval(secs => $1)
           LIMIT 1000 FOR UPDATE SKIP LOCKED)`,
        [this.opts.retentionMs / 1000],
      );
      const n = Array.isArray(res) ? Number(res[1] ?? 0) : 0;
      total += n;
      if (n < 1000) return total;
    }
  }

  private async listen(): Promise<void> {
    const qr = this.dataSource.createQueryRunner();
    try {
      const client = (await qr.connect()) as import('pg').PoolClient;
      client.on('notification', (n) => {
        if (n.channel === OUTBOX_NOTIFY_CHANNEL) this.kick();
      });
      // An error on this long-held connection only costs latency (polling continues): listen again.
      client.on('error', (e) => {
        this.logger.warn(`Outbox LISTEN connection failed: ${e.message}`);
        void this.relisten();
      });
      await client.query(`LISTEN "${OUTBOX_NOTIFY_CHANNEL}"`);
      this.listener = qr;
      if (!this.running) await this.unlisten();
    } catch (e) {
      await qr.release().catch(() => undefined);
      if (this.running) {
        this.logger.warn(`Outbox LISTEN failed (polling only for now): ${(e as Error).message}`);
        this.listenRetry = setTimeout(() => void this.listen(), this.opts.maxBackoffMs);
      }
    }
  }

  private async relisten(): Promise<void> {
    const qr = this.listener;
    this.listener = undefined;
    await qr?.release().catch(() => undefined);
    if (this.running) this.listenRetry = setTimeout(() => void this.listen(), this.opts.initialBackoffMs);
  }

  private async unlisten(): Promise<void> {
    const qr = this.listener;
    this.listener = undefined;
    if (!qr) return;
    await qr.query(`UNLISTEN "${OUTBOX_NOTIFY_CHANNEL}"`).catch(() => undefined);
    await qr.release().catch(() => undefined);
  }
}
