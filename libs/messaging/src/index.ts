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
export { OutboxEvent } from './outbox/outbox-event.entity';
export { CreateOutboxEvents1760000000000, OUTBOX_MIGRATIONS } from './outbox/outbox.migration';
export { OutboxService } from './outbox/outbox.service';
export type { EnqueueOptions } from './outbox/outbox.service';
export { OutboxRelay } from './outbox/outbox-relay';
export { OutboxModule } from './outbox/outbox.module';
export type { OutboxModuleOptions, OutboxRelayOptions } from './outbox/outbox.options';
