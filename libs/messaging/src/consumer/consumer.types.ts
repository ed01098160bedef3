import type { CloudEvent } from '../cloud-event';
import type { RetryPolicy } from '../messaging.options';
import type { AnyEventDefinition, TypedCloudEvent } from '../typed-events';

interface ConsumerSettings {
  /** Durable queue this consumer owns: `<app>.<purpose>`. */
  queue: string;
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

/**
 * A typed consumer: the queue is bound to exactly these events of the catalog, and the handler
 * gets each one decoded by its generated codec (`TypedCloudEvent<D>`). An event whose data does
 * not decode, or whose type is none of these, is dead-lettered (retrying would not help).
 */
export interface TypedConsumerOptions<D extends AnyEventDefinition = AnyEventDefinition> extends ConsumerSettings {
  events: readonly D[];
  patterns?: never;
}

/**
 * An untyped consumer of routing patterns (`['#']` = everything), for consumers that take every
 * event whatever its type (analytics); its handler gets `CloudEvent<unknown>` — decode with
 * `decodeEvent(event)`.
 */
export interface PatternConsumerOptions extends ConsumerSettings {
  /** Routing patterns bound on `aether.events`, e.g. `['#']`. */
  patterns: string[];
  events?: never;
}

export type EventConsumerOptions = TypedConsumerOptions | PatternConsumerOptions;

export interface ConsumeContext {
  queue: string;
  /** 1 on the first delivery, 2 on the first retry, ... */
  attempt: number;
  /** The routing key the event was published with (= event.type). */
  routingKey: string;
  headers: Record<string, unknown>;
}

export type EventHandlerFn<T = unknown> = (event: CloudEvent<T>, ctx: ConsumeContext) => Promise<void>;

/** Handler of a typed consumer: `D` is the union of its events' definitions. */
export type TypedEventHandlerFn<D extends AnyEventDefinition> = (event: TypedCloudEvent<D>, ctx: ConsumeContext) => Promise<void>;

/** Implemented by classes decorated with @EventConsumer({ patterns }). */
export interface EventHandler<T = unknown> {
  handle(event: CloudEvent<T>, ctx: ConsumeContext): Promise<void>;
}

/**
 * Implemented by classes decorated with @EventConsumer({ events }):
 *
 *   @EventConsumer({ queue: 'integration-hub.rules', events: [TaskCreatedEvent, TaskCompletedEvent] })
 *   @Injectable()
 *   export class TaskRules implements TypedEventHandler<typeof TaskCreatedEvent | typeof TaskCompletedEvent> {
 *     async handle(event) { if (event.type === 'task-manager.task.created') event.data.task?.title; }
 *   }
 */
export interface TypedEventHandler<D extends AnyEventDefinition> {
  handle(event: TypedCloudEvent<D>, ctx: ConsumeContext): Promise<void>;
}
