import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { AmqpConnection } from '../amqp-connection';
import { MessagingMetrics } from '../messaging-metrics';
import { DEFAULT_RETRY, EVENTS_EXCHANGE, MESSAGING_OPTIONS, MessagingModuleOptions, RetryPolicy } from '../messaging.options';
import type { CloudEvent } from '../cloud-event';
import { DeadLetterError, InvalidEventError } from '../errors';
import { decodeEventAs, type AnyEventDefinition } from '../typed-events';
import { isEventOfDefinition } from '@aether/contracts';
import type { ConsumeContext, EventConsumerOptions, EventHandler, EventHandlerFn, PatternConsumerOptions, TypedConsumerOptions, TypedEventHandlerFn } from './consumer.types';
import { EventConsumer } from './event-consumer';
import { DiscoverableEventConsumer } from './event-consumer.decorator';

const QUEUE_NAME = /^[a-z][a-z0-9-]*\.[a-z0-9][a-z0-9._-]*$/;

/**
 * Owns every consumer of the app: those declared with @EventConsumer (found at module init) and
 * those added with register(). Starts them on application bootstrap and stops them first thing on
 * shutdown (onModuleDestroy), while the stores their handlers use are still open.
 */
@Injectable()
export class EventConsumerRegistry implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('EventConsumerRegistry');
  private readonly consumers = new Map<string, EventConsumer>();
  private started = false;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly connection: AmqpConnection,
    private readonly metrics: MessagingMetrics,
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingModuleOptions,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders({ metadataKey: DiscoverableEventConsumer.KEY })) {
      const { instance, metatype } = wrapper;
      if (!instance || !metatype || !wrapper.isDependencyTreeStatic()) continue;
      const opts = this.discovery.getMetadataByDecorator(DiscoverableEventConsumer, wrapper);
      if (!opts) continue;
      const handler = instance as EventHandler;
      if (typeof handler.handle !== 'function') {
        throw new Error(`@EventConsumer class ${metatype.name} needs a handle(event, ctx) method`);
      }
      this.add(opts, handler.handle.bind(handler));
    }
  }

  onApplicationBootstrap(): void {
    if (this.options.startConsumers === false) return;
    this.started = true;
    for (const c of this.consumers.values()) c.start();
  }

  async onModuleDestroy(): Promise<void> {
    this.started = false;
    await Promise.all([...this.consumers.values()].map((c) => c.stop()));
  }

  /**
   * Adds a consumer; it starts at once if the app is already running. With `events` the queue is
   * bound to those events and the handler gets them decoded (typed); with `patterns` it gets
   * every matching event as it came (`CloudEvent<unknown>`).
   */
  register<D extends AnyEventDefinition>(options: TypedConsumerOptions<D>, handler: TypedEventHandlerFn<D>): EventConsumer;
  register<T = unknown>(options: PatternConsumerOptions, handler: EventHandlerFn<T>): EventConsumer;
  register(options: EventConsumerOptions, handler: (event: any, ctx: ConsumeContext) => Promise<void>): EventConsumer {
    return this.add(options, handler);
  }

  get(queue: string): EventConsumer | undefined {
    return this.consumers.get(queue);
  }

  list(): EventConsumer[] {
    return [...this.consumers.values()];
  }

  private add(options: EventConsumerOptions, handler: (event: any, ctx: ConsumeContext) => Promise<void>): EventConsumer {
    if (!QUEUE_NAME.test(options.queue)) throw new Error(`Queue name "${options.queue}" is not <app>.<purpose>`);
    if (this.consumers.has(options.queue)) throw new Error(`Queue ${options.queue} already has a consumer in this app`);
    // Both at once only gets past the types through a cast; the queue would get bindings it cannot decode.
    if (options.events && options.patterns) throw new Error(`Consumer ${queueOf(options)}: give events or patterns, not both`);
    const patterns = options.events ? [...new Set(options.events.map((d) => d.pattern))] : options.patterns;
    if (!patterns?.length) throw new Error(`Consumer ${options.queue} needs at least one event or routing pattern`);
    const handle: EventHandlerFn = options.events ? typedHandler(options.queue, options.events, handler) : handler;
    const deduplicate = options.deduplicate ?? true;
    if (deduplicate && !this.options.idempotency) {
      throw new Error(
        `Consumer ${options.queue} deduplicates on the event id but MessagingModule has no idempotency store: ` +
          `pass { idempotency: new RedisIdempotencyStore(redis) } or set deduplicate: false on the consumer`,
      );
    }
    const defaults = this.options.consumerDefaults ?? {};
    const retry: RetryPolicy = { ...DEFAULT_RETRY, ...defaults.retry, ...options.retry };
    if (retry.delaysMs.length === 0 || retry.delaysMs.some((d) => !(d > 0))) throw new Error(`Consumer ${options.queue}: retry delays must be positive`);
    if (!(retry.maxAttempts >= 1)) throw new Error(`Consumer ${options.queue}: maxAttempts must be >= 1`);
    const consumer = new EventConsumer(
      {
        queue: options.queue,
        patterns,
        exchange: this.options.exchange ?? EVENTS_EXCHANGE,
        prefetch: options.prefetch ?? defaults.prefetch ?? 10,
        retry,
        idempotency: deduplicate ? this.options.idempotency! : null,
        shutdownTimeoutMs: options.shutdownTimeoutMs ?? defaults.shutdownTimeoutMs ?? 10_000,
      },
      handle,
      this.connection,
      this.metrics,
    );
    this.consumers.set(options.queue, consumer);
    this.logger.log(`Consumer ${options.queue} ← ${patterns.join(', ')}`);
    if (this.started) consumer.start();
    return consumer;
  }
}

const queueOf = (options: { queue: string }) => options.queue;

/**
 * Decodes each event with the definition its type belongs to before the handler sees it. An
 * event that is none of them (a stray binding) or whose data does not decode is dead-lettered at
 * once: a retry would fail the same way.
 */
function typedHandler(queue: string, defs: readonly AnyEventDefinition[], handler: (event: any, ctx: ConsumeContext) => Promise<void>): EventHandlerFn {
  return async (event: CloudEvent<unknown>, ctx) => {
    const def = defs.find((d) => isEventOfDefinition(d, event.type));
    if (!def) throw new DeadLetterError(`${queue} takes ${defs.map((d) => d.type).join(', ')}, not ${event.type}`);
    let typed: unknown;
    try {
      typed = decodeEventAs(def, event);
    } catch (e) {
      if (e instanceof InvalidEventError) throw new DeadLetterError(e.message);
      throw e;
    }
    await handler(typed, ctx);
  };
}
