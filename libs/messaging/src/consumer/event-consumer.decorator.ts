import { SetMetadata } from '@nestjs/common';
import type { EventConsumerOptions } from './consumer.types';

export const EVENT_CONSUMER_METADATA = 'aether:event-consumer';

/**
 * Marks a provider (a class with `handle(event, ctx)`) as the handler of a queue. The
 * EventConsumerRegistry finds it at start-up and starts consuming on application bootstrap.
 *
 *   @EventConsumer({ queue: 'analytics.events', patterns: ['#'] })
 *   @Injectable()
 *   export class EventIngestHandler implements EventHandler { async handle(event) { ... } }
 */
export const EventConsumer = (options: EventConsumerOptions): ClassDecorator => SetMetadata(EVENT_CONSUMER_METADATA, options);
