import { DiscoveryService } from '@nestjs/core';
import type { AnyEventDefinition } from '../typed-events';
import type { EventConsumerOptions, EventHandler, PatternConsumerOptions, TypedConsumerOptions, TypedEventHandler } from './consumer.types';

/** The metadata the EventConsumerRegistry looks for (through Nest's DiscoveryService). */
export const DiscoverableEventConsumer = DiscoveryService.createDecorator<EventConsumerOptions>();

type Class<I> = abstract new (...args: any[]) => I;

/**
 * Marks a provider as the handler of a queue. The EventConsumerRegistry finds it at start-up
 * (DiscoveryService) and starts consuming on application bootstrap.
 *
 *   @EventConsumer({ queue: 'integration-hub.tasks', events: [TaskCreatedEvent] })   // typed
 *   @Injectable()
 *   export class TaskCreatedRule implements TypedEventHandler<typeof TaskCreatedEvent> {
 *     async handle(event) { event.data.task?.title; event.subject; }
 *   }
 *
 *   @EventConsumer({ queue: 'analytics.events', patterns: ['#'] })                    // untyped: everything
 *   export class EventIngestHandler implements EventHandler { async handle(event) { decodeEvent(event); } }
 */
export function EventConsumer<D extends AnyEventDefinition>(options: TypedConsumerOptions<D>): (target: Class<TypedEventHandler<D>>) => void;
export function EventConsumer(options: PatternConsumerOptions): (target: Class<EventHandler<any>>) => void;
export function EventConsumer(options: EventConsumerOptions): ClassDecorator {
  return DiscoverableEventConsumer(options) as ClassDecorator;
}
