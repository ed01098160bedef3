import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { AmqpConnection } from '../amqp-connection';
import { MessagingMetrics } from '../messaging-metrics';
import { DEFAULT_RETRY, EVENTS_EXCHANGE, MESSAGING_OPTIONS, MessagingModuleOptions, RetryPolicy } from '../messaging.options';
import type { EventConsumerOptions, EventHandler, EventHandlerFn } from './consumer.types';
import { EventConsumer } from './event-consumer';
import { EVENT_CONSUMER_METADATA } from './event-consumer.decorator';

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
    for (const wrapper of this.discovery.getProviders()) {
      const { instance, metatype } = wrapper;
      if (!instance || !metatype || !wrapper.isDependencyTreeStatic()) continue;
      const opts = Reflect.getMetadata(EVENT_CONSUMER_METADATA, metatype) as EventConsumerOptions | undefined;
      if (!opts) continue;
      const handler = instance as EventHandler;
      if (typeof handler.handle !== 'function') {
        throw new Error(`@EventConsumer class ${metatype.name} needs a handle(event, ctx) method`);
      }
      this.register(opts, handler.handle.bind(handler));
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

  /** Adds a consumer; it starts at once if the app is already running. */
  register<T = unknown>(options: EventConsumerOptions, handler: EventHandlerFn<T>): EventConsumer {
    if (!QUEUE_NAME.test(options.queue)) throw new Error(`Queue name "${options.queue}" is not <app>.<purpose>`);
    if (this.consumers.has(options.queue)) throw new Error(`Queue ${options.queue} already has a consumer in this app`);
    if (!options.patterns?.length) throw new Error(`Consumer ${options.queue} needs at least one routing pattern`);
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
        patterns: options.patterns,
        exchange: this.options.exchange ?? EVENTS_EXCHANGE,
        prefetch: options.prefetch ?? defaults.prefetch ?? 10,
        retry,
        idempotency: deduplicate ? this.options.idempotency! : null,
        shutdownTimeoutMs: options.shutdownTimeoutMs ?? defaults.shutdownTimeoutMs ?? 10_000,
      },
      handler as EventHandlerFn<any>,
      this.connection,
      this.metrics,
    );
    this.consumers.set(options.queue, consumer);
    this.logger.log(`Consumer ${options.queue} ← ${options.patterns.join(', ')}`);
    if (this.started) consumer.start();
    return consumer;
  }

  get(queue: string): EventConsumer | undefined {
    return this.consumers.get(queue);
  }

  list(): EventConsumer[] {
    return [...this.consumers.values()];
  }
}
