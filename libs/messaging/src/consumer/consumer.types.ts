import type { CloudEvent } from '../cloud-event';
import type { RetryPolicy } from '../messaging.options';

export interface EventConsumerOptions {
  /** Durable queue this consumer owns: `<app>.<purpose>`. */
  queue: string;
  /** Routing patterns bound on `aether.events`, e.g. `['#']` or `['task-manager.task.*']`. */
  patterns: string[];
  /** Unacknowledged messages in flight (= handler concurrency); default 10. */
  prefetch?: number;
  retry?: Partial<RetryPolicy>;
  /**
   * Skip events whose id this queue already handled (needs the module's IdempotencyStore).
   * Set false when the handler's own store is naturally idempotent (e.g. a unique index on the event id).
   * Default true.
   */
  deduplicate?: boolean;
  /** How long stop() waits for running handlers (default 10000). */
  shutdownTimeoutMs?: number;
}

export interface ConsumeContext {
  queue: string;
  /** 1 on the first delivery, 2 on the first retry, ... */
  attempt: number;
  /** The routing key the event was published with (= event.type). */
  routingKey: string;
  headers: Record<string, unknown>;
}

export type EventHandlerFn<T = unknown> = (event: CloudEvent<T>, ctx: ConsumeContext) => Promise<void>;

/** Implemented by classes decorated with @EventConsumer. */
export interface EventHandler<T = unknown> {
  handle(event: CloudEvent<T>, ctx: ConsumeContext): Promise<void>;
}
