import { Inject, Injectable } from '@nestjs/common';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel } from 'amqplib';
import { AmqpConnection } from './amqp-connection';
import { buildEvent, CloudEvent, TraceCarrier } from './cloud-event';
import { MessagingUnavailableError } from './errors';
import { MessagingMetrics } from './messaging-metrics';
import { EVENTS_EXCHANGE, MESSAGING_OPTIONS, MessagingModuleOptions } from './messaging.options';
import { injectTraceContext } from './trace-context';
import { encodeEvent, type AnyEventDefinition, type TypedPublishArgs } from './typed-events';
import type { EventPayload } from '@aether/contracts';

export interface PublishOptions {
  /** The acting/owning user id, when there is one. */
  subject?: string;
  /** Defaults to a new UUID; pass one to make a retried publish recognisable as the same event. */
  id?: string;
  time?: Date | string;
}

export const tracer = trace.getTracer('@aether/messaging');

/** Publishes CloudEvents to `aether.events` with publisher confirms. */
@Injectable()
export class EventPublisher {
  private readonly exchange: string;
  private readonly channel: ChannelWrapper;
  private readonly timeoutMs: number;

  constructor(
    private readonly connection: AmqpConnection,
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingModuleOptions,
    private readonly metrics: MessagingMetrics,
  ) {
    this.exchange = options.exchange ?? EVENTS_EXCHANGE;
    this.timeoutMs = options.publishTimeoutMs ?? 5000;
    this.channel = connection.createChannel({
      name: 'publisher',
      confirm: true,
      setup: (ch: ConfirmChannel) => ch.assertExchange(this.exchange, 'topic', { durable: true }).then(() => undefined),
    });
  }

  get source(): string {
    return this.options.source;
  }

  /**
   * Publishes an event of the catalog and resolves once the broker confirmed it: the type comes
   * from the definition, the payload is type-checked and serialised by its generated codec, the
   * subject follows the definition's rule. Rejects with MessagingUnavailableError at once while
   * the broker is unreachable.
   *
   *   await publisher.publish(CompletionCompletedEvent, { requestId, usage, ... }, { subject: userId });
   */
  publish<D extends AnyEventDefinition>(event: D, data: EventPayload<D>, ...opts: TypedPublishArgs<D>): Promise<CloudEvent<unknown>>;
  /** Untyped: `data` as event `type` (= routing key), for events outside the catalog (tests, tools). */
  publish<T>(type: string, data: T, opts?: PublishOptions): Promise<CloudEvent<T>>;
  async publish(event: string | AnyEventDefinition, data: unknown, opts?: object): Promise<CloudEvent<unknown>> {
    if (typeof event === 'string') return this.publishRaw(event, data, opts as PublishOptions | undefined);
    const encoded = encodeEvent(event, data, opts as never);
    return this.publishRaw(encoded.type, encoded.data, { subject: encoded.subject, id: encoded.id, time: encoded.time });
  }

  private async publishRaw<T>(type: string, data: T, opts: PublishOptions = {}): Promise<CloudEvent<T>> {
    return tracer.startActiveSpan(
      `${type} publish`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'rabbitmq',
          'messaging.operation.type': 'publish',
          'messaging.destination.name': this.exchange,
          'messaging.rabbitmq.destination.routing_key': type,
        },
      },
      async (span) => {
        try {
          const trace = injectTraceContext();
          const event = buildEvent({ source: this.options.source, type, data, ...opts, trace });
          span.setAttribute('messaging.message.id', event.id);
          await this.send(event, trace);
          return event;
        } catch (e) {
          span.recordException(e as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).message });
          throw e;
        } finally {
          span.end();
        }
      },
    );
  }

  /**
   * Publishes an already built envelope (the outbox relay uses this). Its `traceparent` /
   * `tracestate` extensions, captured when the event was created, become the AMQP headers.
   */
  async publishEvent(event: CloudEvent<unknown> | Record<string, unknown>): Promise<void> {
    const e = event as Record<string, unknown>;
    await this.send(e, { traceparent: e.traceparent as string | undefined, tracestate: e.tracestate as string | undefined });
  }

  private async send(event: Record<string, unknown> | CloudEvent<unknown>, trace: TraceCarrier): Promise<void> {
    const type = String(event.type);
    if (!this.connection.isConnected()) {
      this.metrics.published.inc({ type, result: 'error' });
      throw new MessagingUnavailableError();
    }
    const headers: Record<string, string> = {};
    if (trace.traceparent) headers.traceparent = trace.traceparent;
    if (trace.tracestate) headers.tracestate = trace.tracestate;
    const time = typeof event.time === 'string' ? Date.parse(event.time) : Date.now();
    try {
      await this.channel.publish(this.exchange, type, Buffer.from(JSON.stringify(event)), {
        persistent: true,
        mandatory: false,
        contentType: 'application/cloudevents+json',
        messageId: String(event.id),
        type,
        appId: String(event.source),
        timestamp: Math.floor((Number.isNaN(time) ? Date.now() : time) / 1000),
        headers,
        timeout: this.timeoutMs,
      });
      this.metrics.published.inc({ type, result: 'ok' });
    } catch (e) {
      this.metrics.published.inc({ type, result: 'error' });
      throw new MessagingUnavailableError(`Publishing ${type} was not confirmed: ${(e as Error).message}`, { cause: e });
    }
  }
}
