import { Logger } from '@nestjs/common';
import { context, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import type { AmqpConnection } from '../amqp-connection';
import { CloudEvent, parseEvent } from '../cloud-event';
import { DeadLetterError } from '../errors';
import { tracer } from '../event-publisher';
import type { IdempotencyStore } from '../idempotency/idempotency-store';
import type { ConsumeOutcome, MessagingMetrics } from '../messaging-metrics';
import type { RetryPolicy } from '../messaging.options';
import { extractTraceContext } from '../trace-context';
import { assertConsumerTopology, consumerQueues } from './consumer-topology';
import type { ConsumeContext, EventHandlerFn } from './consumer.types';

/** Headers this library writes on retried / dead-lettered copies. */
export const HEADER_ATTEMPT = 'x-attempt';
export const HEADER_LAST_ERROR = 'x-last-error';
export const HEADER_DEAD_LETTER_REASON = 'x-dead-letter-reason';
export const HEADER_ORIGINAL_ROUTING_KEY = 'x-original-routing-key';

export type DeadLetterReason = 'poison' | 'max-attempts' | 'rejected';

export interface EventConsumerConfig {
  queue: string;
  patterns: string[];
  exchange: string;
  prefetch: number;
  retry: RetryPolicy;
  /** null = no deduplication. */
  idempotency: IdempotencyStore | null;
  shutdownTimeoutMs: number;
}

interface Subscription {
  ch: ConfirmChannel;
  consumerTag: string;
}

/**
 * Runs one queue: declares its topology, consumes with a prefetch, hands every CloudEvent to the
 * handler inside the producer's trace context, and routes failures to delayed retries and finally
 * the DLQ. A message is acked only after it was handled or safely re-published (retry/DLQ), so
 * nothing is lost if the process dies; duplicates this may cause are absorbed by the idempotency store.
 */
export class EventConsumer {
  private readonly logger: Logger;
  private readonly queues: ReturnType<typeof consumerQueues>;
  private channel?: ChannelWrapper;
  private subscription?: Subscription;
  private readonly inFlight = new Set<Promise<void>>();
  private stopping = false;
  private readyWaiters: Array<() => void> = [];
  private isReady = false;

  constructor(
    readonly config: EventConsumerConfig,
    private readonly handler: EventHandlerFn<any>,
    private readonly connection: AmqpConnection,
    private readonly metrics: MessagingMetrics,
  ) {
    this.logger = new Logger(`EventConsumer ${config.queue}`);
    this.queues = consumerQueues(config.queue);
  }

  get queue(): string {
    return this.config.queue;
  }

  get running(): boolean {
    return !!this.channel && !this.stopping;
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  start(): void {
    if (this.channel) return;
    this.stopping = false;
    this.channel = this.connection.createChannel({
      name: `consumer ${this.config.queue}`,
      confirm: true,
      setup: (ch: ConfirmChannel) => this.setup(ch),
    });
  }

  /** Resolves when the consumer is subscribed (after start and broker connection). */
  async ready(timeoutMs = 10_000): Promise<void> {
    if (this.isReady) return;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`Consumer ${this.queue} not ready within ${timeoutMs} ms`)), timeoutMs);
      this.readyWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** Stops taking messages, waits for running handlers (up to shutdownTimeoutMs), closes the channel. */
  async stop(): Promise<void> {
    if (!this.channel || this.stopping) return;
    this.stopping = true;
    const sub = this.subscription;
    this.subscription = undefined;
    if (sub) await sub.ch.cancel(sub.consumerTag).catch(() => undefined);
    if (this.inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((r) => (timer = setTimeout(r, this.config.shutdownTimeoutMs)));
      await Promise.race([Promise.allSettled([...this.inFlight]), timeout]);
      clearTimeout(timer);
      if (this.inFlight.size > 0) this.logger.warn(`${this.inFlight.size} handler(s) still running at shutdown; their messages will be redelivered`);
    }
    // Closing the channel returns unacked (prefetched or unfinished) messages to the queue.
    await this.channel.close().catch(() => undefined);
    this.channel = undefined;
    this.isReady = false;
  }

  private async setup(ch: ConfirmChannel): Promise<void> {
    const delays = this.config.retry.delaysMs;
    await assertConsumerTopology(ch, this.config.exchange, this.queues.main, this.config.patterns, delays);
    if (this.stopping) return;
    await ch.prefetch(this.config.prefetch);
    const { consumerTag } = await ch.consume(this.queues.main, (msg) => this.onDelivery(ch, msg), { noAck: false });
    this.subscription = { ch, consumerTag };
    this.isReady = true;
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    waiters.forEach((w) => w());
  }

  private onDelivery(ch: ConfirmChannel, msg: ConsumeMessage | null): void {
    if (!msg) return; // cancelled by the broker (queue deleted); the channel setup re-subscribes on reconnect
    if (this.stopping) {
      safe(() => ch.nack(msg, false, true));
      return;
    }
    const task = this.process(ch, msg)
      .catch((e) => this.logger.error(`Unexpected failure handling a message: ${(e as Error).message}`))
      .finally(() => this.inFlight.delete(task));
    this.inFlight.add(task);
  }

  private async process(ch: ConfirmChannel, msg: ConsumeMessage): Promise<void> {
    const headers = (msg.properties.headers ?? {}) as Record<string, unknown>;
    const attempt = Math.max(1, Number(headers[HEADER_ATTEMPT] ?? 1) || 1);
    let event: CloudEvent<unknown>;
    try {
      event = parseEvent(msg.content);
    } catch (e) {
      await this.deadLetter(ch, msg, 'poison', e as Error, attempt);
      return;
    }
    const routingKey = String(headers[HEADER_ORIGINAL_ROUTING_KEY] ?? msg.fields.routingKey);
    const ctx: ConsumeContext = { queue: this.queue, attempt, routingKey, headers };
    const parent = extractTraceContext(headers, event as { traceparent?: string; tracestate?: string });
    await context.with(parent, () =>
      tracer.startActiveSpan(
        `${this.queue} process`,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            'messaging.system': 'rabbitmq',
            'messaging.operation.type': 'process',
            'messaging.destination.name': this.queue,
            'messaging.message.id': event.id,
            'messaging.rabbitmq.destination.routing_key': routingKey,
          },
        },
        async (span) => {
          try {
            const outcome = await this.handle(ch, msg, event, ctx);
            if (outcome === 'retry' || outcome === 'dead_letter') span.setStatus({ code: SpanStatusCode.ERROR });
          } finally {
            span.end();
          }
        },
      ),
    );
  }

  private async handle(ch: ConfirmChannel, msg: ConsumeMessage, event: CloudEvent<unknown>, ctx: ConsumeContext): Promise<ConsumeOutcome> {
    const started = process.hrtime.bigint();
    const observe = (outcome: ConsumeOutcome) => {
      this.metrics.consumed.inc({ queue: this.queue, outcome });
      this.metrics.handlerDuration.observe({ queue: this.queue, outcome }, Number(process.hrtime.bigint() - started) / 1e9);
      return outcome;
    };

    let claim: Awaited<ReturnType<IdempotencyStore['claim']>> | undefined;
    try {
      if (this.config.idempotency) {
        claim = await this.config.idempotency.claim(this.queue, event.id);
        if (claim.status === 'processed') {
          safe(() => ch.ack(msg));
          return observe('duplicate');
        }
        if (claim.status === 'in-progress') {
          // Another consumer handles the same event now: look again after the first delay,
          // without spending an attempt (it ends as a duplicate or a retry of that consumer's failure).
          await this.republish(ch, msg, this.queues.retry(this.config.retry.delaysMs[0]), {
            [HEADER_ATTEMPT]: ctx.attempt,
            [HEADER_ORIGINAL_ROUTING_KEY]: ctx.routingKey,
          });
          return observe('deferred');
        }
      }
      await this.handler(event, ctx);
    } catch (e) {
      const err = e as Error;
      this.metrics.failed.inc({ queue: this.queue });
      if (claim?.status === 'acquired') await claim.release().catch(() => undefined);
      if (err instanceof DeadLetterError) {
        await this.deadLetter(ch, msg, 'rejected', err, ctx.attempt);
        return observe('dead_letter');
      }
      if (ctx.attempt >= this.config.retry.maxAttempts) {
        this.logger.warn(`Event ${event.id} (${event.type}) failed ${ctx.attempt} times, dead-lettered: ${err.message}`);
        await this.deadLetter(ch, msg, 'max-attempts', err, ctx.attempt);
        return observe('dead_letter');
      }
      const delays = this.config.retry.delaysMs;
      const delay = delays[Math.min(ctx.attempt - 1, delays.length - 1)];
      await this.republish(ch, msg, this.queues.retry(delay), {
        [HEADER_ATTEMPT]: ctx.attempt + 1,
        [HEADER_LAST_ERROR]: errorText(err),
        [HEADER_ORIGINAL_ROUTING_KEY]: ctx.routingKey,
      });
      return observe('retry');
    }
    if (claim?.status === 'acquired') {
      // The handler's work is done; failing to record it only risks a later duplicate.
      await claim.complete().catch((e) => this.logger.warn(`Could not mark ${event.id} processed: ${(e as Error).message}`));
    }
    safe(() => ch.ack(msg));
    return observe('success');
  }

  private async deadLetter(ch: ConfirmChannel, msg: ConsumeMessage, reason: DeadLetterReason, err: Error, attempt: number): Promise<void> {
    this.metrics.deadLettered.inc({ queue: this.queue, reason });
    if (reason === 'poison') {
      this.metrics.consumed.inc({ queue: this.queue, outcome: 'dead_letter' });
      this.logger.warn(`Poison message ${msg.properties.messageId ?? ''} sent to ${this.queues.dlq}: ${err.message}`);
    }
    const headers = (msg.properties.headers ?? {}) as Record<string, unknown>;
    await this.republish(ch, msg, this.queues.dlq, {
      [HEADER_ATTEMPT]: attempt,
      [HEADER_LAST_ERROR]: errorText(err),
      [HEADER_DEAD_LETTER_REASON]: reason,
      [HEADER_ORIGINAL_ROUTING_KEY]: String(headers[HEADER_ORIGINAL_ROUTING_KEY] ?? msg.fields.routingKey),
    });
  }

  /**
   * Copies the message to `queue` (default exchange), waits for the broker's confirm, then acks the
   * original. If the copy is not confirmed the original is not acked; the broker redelivers it.
   */
  private async republish(ch: ConfirmChannel, msg: ConsumeMessage, queue: string, extraHeaders: Record<string, unknown>): Promise<void> {
    const p = msg.properties;
    const options: Options.Publish = {
      persistent: true,
      contentType: p.contentType,
      contentEncoding: p.contentEncoding,
      messageId: p.messageId,
      type: p.type,
      appId: p.appId,
      timestamp: p.timestamp,
      correlationId: p.correlationId,
      headers: { ...stripBrokerHeaders(p.headers), ...extraHeaders },
    };
    try {
      await new Promise<void>((resolve, reject) => {
        ch.sendToQueue(queue, msg.content, options, (err) => (err ? reject(err) : resolve()));
      });
    } catch (e) {
      this.logger.warn(`Could not move a message to ${queue}: ${(e as Error).message}`);
      safe(() => ch.nack(msg, false, true));
      return;
    }
    safe(() => ch.ack(msg));
  }
}

/** The broker's own dead-letter bookkeeping would only grow with every retry cycle. */
function stripBrokerHeaders(headers: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (k === 'x-death' || k.startsWith('x-first-death') || k.startsWith('x-last-death')) continue;
    out[k] = v;
  }
  return out;
}

function errorText(err: Error): string {
  const text = `${err.name}: ${err.message}`;
  return text.length > 1000 ? `${text.slice(0, 1000)}…` : text;
}

/** ack/nack on a channel that closed meanwhile throws; the broker redelivers such messages anyway. */
function safe(fn: () => void): void {
  try {
    fn();
  } catch {
    /* channel gone */
  }
}
