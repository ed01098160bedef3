export { MessagingModule } from './messaging.module';
export { EVENTS_EXCHANGE, MESSAGING_OPTIONS, DEFAULT_RETRY, MessagingEnv } from './messaging.options';
export type { MessagingModuleOptions, MessagingModuleAsyncOptions, MessagingVariables, RetryPolicy } from './messaging.options';
export { AmqpConnection } from './amqp-connection';
export { AmqpReadiness } from './amqp-readiness';
export { EventPublisher } from './event-publisher';
export type { PublishOptions } from './event-publisher';
export { CloudEvent, buildEvent, parseEvent, assertEventType } from './cloud-event';
export type { BuildEventInput, TraceCarrier } from './cloud-event';
export { injectTraceContext, extractTraceContext } from './trace-context';
export { MessagingUnavailableError, InvalidEventError, DeadLetterError } from './errors';
export { MessagingMetrics } from './messaging-metrics';
export { EventConsumer } from './consumer/event-consumer.decorator';
export { HEADER_ATTEMPT, HEADER_LAST_ERROR, HEADER_DEAD_LETTER_REASON, HEADER_ORIGINAL_ROUTING_KEY } from './consumer/event-consumer';
export type { DeadLetterReason } from './consumer/event-consumer';
export { EventConsumerRegistry } from './consumer/event-consumer.registry';
export { consumerQueues, assertConsumerTopology } from './consumer/consumer-topology';
export type {
  EventConsumerOptions,
  TypedConsumerOptions,
  PatternConsumerOptions,
  EventHandler,
  EventHandlerFn,
  TypedEventHandler,
  TypedEventHandlerFn,
  ConsumeContext,
} from './consumer/consumer.types';
export { decodeEvent, decodeEventAs, encodeEvent } from './typed-events';
export type { AnyEventDefinition, TypedCloudEvent, KnownCloudEvent, TypedPublishOptions, TypedPublishArgs, EncodedEvent } from './typed-events';
export { IDEMPOTENCY_STORE } from './idempotency/idempotency-store';
export type { IdempotencyStore, IdempotencyClaim } from './idempotency/idempotency-store';
export { RedisIdempotencyStore } from './idempotency/redis-idempotency-store';
export type { RedisIdempotencyOptions } from './idempotency/redis-idempotency-store';
export type { EnqueueOptions } from './outbox/outbox.service';
export type { OutboxModuleOptions, OutboxRelayOptions } from './outbox/outbox.options';

// The outbox (TypeORM entity, relay, module) is loaded on first use, not with the package: its
// entity decorators load TypeORM (~300 modules, ~15 MB), which services without PostgreSQL
// (ai-gateway, analytics, docker-manager, the gateway) must not pay for. Each name is both the
// class (value, through a getter) and its instance type.
type OutboxExports = typeof import('./outbox/outbox-event.entity') &
  typeof import('./outbox/outbox.migration') &
  typeof import('./outbox/outbox.service') &
  typeof import('./outbox/outbox-relay') &
  typeof import('./outbox/outbox.module');
// Literal require()s, so a bundler (tools/bundle-service.mjs) follows them and keeps them lazy.
const OUTBOX_EXPORTS = {
  OutboxEvent: () => require('./outbox/outbox-event.entity'),
  CreateOutboxEvents1760000000000: () => require('./outbox/outbox.migration'),
  OUTBOX_MIGRATIONS: () => require('./outbox/outbox.migration'),
  OutboxService: () => require('./outbox/outbox.service'),
  OutboxRelay: () => require('./outbox/outbox-relay'),
  OutboxModule: () => require('./outbox/outbox.module'),
} satisfies Partial<Record<keyof OutboxExports, () => unknown>>;
for (const [name, load] of Object.entries(OUTBOX_EXPORTS)) {
  Object.defineProperty(exports, name, { enumerable: true, get: () => (load() as Record<string, unknown>)[name] });
}
export declare const OutboxEvent: OutboxExports['OutboxEvent'];
export type OutboxEvent = InstanceType<OutboxExports['OutboxEvent']>;
export declare const CreateOutboxEvents1760000000000: OutboxExports['CreateOutboxEvents1760000000000'];
export type CreateOutboxEvents1760000000000 = InstanceType<OutboxExports['CreateOutboxEvents1760000000000']>;
export declare const OUTBOX_MIGRATIONS: OutboxExports['OUTBOX_MIGRATIONS'];
export declare const OutboxService: OutboxExports['OutboxService'];
export type OutboxService = InstanceType<OutboxExports['OutboxService']>;
export declare const OutboxRelay: OutboxExports['OutboxRelay'];
export type OutboxRelay = InstanceType<OutboxExports['OutboxRelay']>;
export declare const OutboxModule: OutboxExports['OutboxModule'];
export type OutboxModule = InstanceType<OutboxExports['OutboxModule']>;
