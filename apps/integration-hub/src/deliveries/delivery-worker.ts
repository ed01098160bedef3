import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DeliveryDeadLetteredEvent, DeliveryFailedEvent, DeliverySucceededEvent } from '@aether/contracts';
import { OutboxService } from '@aether/messaging';
import { isUuid, PeriodicJob } from '@aether/service-kit';
import { DataSource } from 'typeorm';
import { IntegrationHubEnv } from '../config/integration-hub.env';
import { ConnectionsService } from '../connections/connections.service';
import { OutboundAllowList } from '../outbound/address-policy';
import { OutboundBlockedError, OutboundHttp, OutboundTimeoutError } from '../outbound/outbound-http';
import { ActionNotSendableError, prepareAction } from './actions';
import { CircuitBreakers } from './circuit-breaker';
import { type Delivery, deliveryFromRow, toDeliveryMessage } from './delivery';
import { type AttemptFailure, classifyStatus, nextDelayMs } from './retry-policy';

type Outcome = { ok: true; status: number } | { ok: false; failure: AttemptFailure };

/**
 * Sends due deliveries. Each connection has its own slots (DELIVERY_CONCURRENCY_PER_CONNECTION)
 * and circuit, and the claim query takes at most that many per connection, so a hanging or dead
 * endpoint only ever holds its own deliveries. A claim is a lease (a crashed worker's expires);
 * the outcome of an attempt is written only by the holder of the lease, with its log row and
 * event, in one transaction.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(DeliveryWorker.name);
  private readonly http: OutboundHttp;
  private readonly breakers: CircuitBreakers;
  private readonly schedule: number[];
  private readonly inFlight = new Map<string, number>();
  private readonly running = new Set<Promise<void>>();
  private total = 0;
  private readonly job: PeriodicJob;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly connections: ConnectionsService,
    private readonly outbox: OutboxService,
    private readonly env: IntegrationHubEnv,
  ) {
    this.http = new OutboundHttp({
      allowList: new OutboundAllowList(env.OUTBOUND_ALLOWED_HOSTS),
      timeoutMs: env.DELIVERY_TIMEOUT_MS,
      maxResponseBytes: env.DELIVERY_MAX_RESPONSE_BYTES,
    });
    this.breakers = new CircuitBreakers(env.DELIVERY_BREAKER_THRESHOLD, env.DELIVERY_BREAKER_COOLDOWN_MS);
    this.schedule = env.DELIVERY_RETRY_DELAYS_MS.split(',').map((s) => Number(s.trim()));
    this.job = new PeriodicJob({
      name: 'DeliveryWorker',
      intervalMs: env.DELIVERY_POLL_INTERVAL_MS,
      backoff: { initialMs: env.DELIVERY_POLL_INTERVAL_MS, maxMs: 10_000 },
      run: () => this.pass(),
    });
  }

  onApplicationBootstrap(): void {
    if (this.env.DELIVERY_WORKER_ENABLED) this.job.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.job.stop();
    // Attempts in flight end within DELIVERY_TIMEOUT_MS; their outcome is still recorded.
    await Promise.allSettled([...this.running]);
    this.http.close();
  }

  /** New work in this replica: look now instead of at the next poll. */
  wake(): void {
    if (this.job.isRunning) this.job.kick();
  }

  /** One pass: claims what fits in the free slots and starts it; does not wait for the sends. */
  async pass(): Promise<'again' | void> {
    const free = this.env.DELIVERY_CONCURRENCY - this.total;
    if (free <= 0) return;
    const perConnection = this.env.DELIVERY_CONCURRENCY_PER_CONNECTION;
    const candidates: { id: string; connection_id: string }[] = await this.db.query(
      `SELECT id, connection_id FROM (
         SELECT id, connection_id, next_attempt_at,
                row_number() OVER (PARTITION BY connection_id ORDER BY next_attempt_at, id) AS rank
           FROM deliveries
          WHERE status IN ('pending', 'failed') AND next_attempt_at <= now()
            AND (lease_until IS NULL OR lease_until < now())
       ) due WHERE rank <= $1 ORDER BY next_attempt_at LIMIT $2`,
      [perConnection, free * 2],
    );
    let started = 0;
    for (const c of candidates) {
      if (this.total >= this.env.DELIVERY_CONCURRENCY) break;
      const busy = this.inFlight.get(c.connection_id) ?? 0;
      if (busy >= this.breakers.allowance(c.connection_id, perConnection)) continue;
      const token = randomUUID();
      const [claimed]: [Record<string, unknown>[], number] = await this.db.query(
        `UPDATE deliveries SET lease_until = now() + make_interval(secs => $2), lease_token = $3
          WHERE id = $1 AND status IN ('pending', 'failed') AND next_attempt_at <= now()
            AND (lease_until IS NULL OR lease_until < now()) RETURNING *`,
        [c.id, (this.env.DELIVERY_TIMEOUT_MS + 30_000) / 1000, token],
      );
      if (!claimed[0]) continue;
      started++;
      this.track(c.connection_id, this.attempt(deliveryFromRow(claimed[0]), token));
    }
    return started > 0 && candidates.length >= free * 2 ? 'again' : undefined;
  }

  private track(connectionId: string, work: Promise<void>): void {
    this.total++;
    this.inFlight.set(connectionId, (this.inFlight.get(connectionId) ?? 0) + 1);
    const done = work
      .catch((err) => this.logger.error({ err: String(err) }, 'A delivery attempt could not be recorded; its lease will expire and it will be retried'))
      .finally(() => {
        this.total--;
        const left = (this.inFlight.get(connectionId) ?? 1) - 1;
        if (left > 0) this.inFlight.set(connectionId, left);
        else this.inFlight.delete(connectionId);
        this.running.delete(done);
        this.wake();
      });
    this.running.add(done);
  }

  private async attempt(d: Delivery, token: string): Promise<void> {
    const startedAt = new Date();
    const outcome = await this.send(d, startedAt);
    const durationMs = Date.now() - startedAt.getTime();
    if (outcome.ok) this.breakers.succeeded(d.connectionId);
    else if (!outcome.failure.permanent) this.breakers.failed(d.connectionId);
    await this.record(d, token, startedAt, durationMs, outcome);
  }

  private async send(d: Delivery, now: Date): Promise<Outcome> {
    const connection = await this.connections.find(d.connectionId);
    if (!connection) return { ok: false, failure: { status: 0, permanent: true, reason: 'The connection was deleted' } };
    let secrets: Record<string, string>;
    try {
      secrets = this.connections.secretsOf(connection);
    } catch {
      return { ok: false, failure: { status: 0, permanent: false, reason: 'The connection secrets cannot be opened (their key is not in INTEGRATION_HUB_SECRET_KEYS)' } };
    }
    let prepared;
    try {
      prepared = prepareAction({ deliveryId: d.id, kind: d.actionKind, params: d.params, event: d.event, connection, secrets, now });
    } catch (err) {
      if (err instanceof ActionNotSendableError) return { ok: false, failure: { status: 0, permanent: true, reason: err.message } };
      return { ok: false, failure: { status: 0, permanent: true, reason: 'The action could not be prepared' } };
    }
    try {
      const res = await this.http.post(prepared.request);
      if (res.status >= 200 && res.status < 300) {
        const hidden = prepared.failureIn2xx?.(res);
        return hidden ? { ok: false, failure: hidden } : { ok: true, status: res.status };
      }
      return { ok: false, failure: classifyStatus(res.status, res.headers, res.body, Date.now()) };
    } catch (err) {
      // Messages of our own errors only: a system error could quote the URL, and URLs hold tokens.
      if (err instanceof OutboundBlockedError) return { ok: false, failure: { status: 0, permanent: true, reason: err.message } };
      if (err instanceof OutboundTimeoutError) return { ok: false, failure: { status: 0, permanent: false, reason: err.message } };
      const code = (err as NodeJS.ErrnoException).code;
      return { ok: false, failure: { status: 0, permanent: false, reason: `No answer: ${code ?? 'connection failed'}` } };
    }
  }

  private async record(d: Delivery, token: string, startedAt: Date, durationMs: number, outcome: Outcome): Promise<void> {
    const budgetUsed = d.budgetUsed + 1;
    let status: Delivery['status'];
    let nextAttemptAt: Date | null = null;
    let lastError = '';
    let responseStatus: number;
    if (outcome.ok) {
      status = 'delivered';
      responseStatus = outcome.status;
    } else {
      const f = outcome.failure;
      responseStatus = f.status;
      if (f.permanent || budgetUsed >= this.env.DELIVERY_MAX_ATTEMPTS) {
        status = 'dead';
        lastError = f.permanent ? f.reason : `${f.reason} (gave up after ${budgetUsed} attempts)`;
      } else {
        status = 'failed';
        lastError = f.reason;
        nextAttemptAt = new Date(Date.now() + nextDelayMs(this.schedule, budgetUsed, f.retryAfterMs, this.env.DELIVERY_MAX_RETRY_AFTER_SECONDS * 1000));
      }
    }
    await this.db.transaction(async (m) => {
      const [rows]: [Record<string, unknown>[], number] = await m.query(
        `UPDATE deliveries SET status = $3::varchar, attempts = attempts + 1, budget_used = $4, last_error = $5, next_attempt_at = $6,
                delivered_at = CASE WHEN $3::varchar = 'delivered' THEN now() ELSE delivered_at END,
                lease_until = NULL, lease_token = NULL, updated_at = now()
          WHERE id = $1 AND lease_token = $2 RETURNING *`,
        [d.id, token, status, budgetUsed, lastError, nextAttemptAt],
      );
      if (!rows[0]) return; // the lease expired and another worker took over: its outcome counts
      const after = deliveryFromRow(rows[0]);
      await m.query(
        `INSERT INTO delivery_attempts (delivery_id, number, started_at, response_status, duration_ms, outcome, error) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [d.id, after.attempts, startedAt, responseStatus, durationMs, status === 'delivered' ? 'delivered' : status === 'dead' ? 'dead' : 'retry', lastError],
      );
      const subject = d.event.subject && isUuid(d.event.subject) ? { subject: d.event.subject } : {};
      const delivery = toDeliveryMessage(after);
      if (status === 'delivered') await this.outbox.publish(m, DeliverySucceededEvent, { delivery, responseStatus, durationMs }, subject);
      else if (status === 'dead') await this.outbox.publish(m, DeliveryDeadLetteredEvent, { delivery, responseStatus }, subject);
      else await this.outbox.publish(m, DeliveryFailedEvent, { delivery, responseStatus }, subject);
    });
  }
}
