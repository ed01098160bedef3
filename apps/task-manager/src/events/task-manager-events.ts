import type { EventPayload } from '@aether/contracts';
import type { AnyEventDefinition, TypedPublishArgs } from '@aether/messaging';
import type { EntityManager } from 'typeorm';

/**
 * An event task-manager publishes: a definition of the catalog generated from
 * proto/aether/task_manager/v1/events.proto (TaskCreatedEvent, ..., ScheduleFiredEvent). The
 * task travels as the gRPC Task message (toTaskMessage), the owner as the CloudEvents subject.
 */
export type TaskManagerEventDefinition = AnyEventDefinition & { readonly type: `task-manager.${string}` };

/**
 * Writes an event into the transactional outbox within `manager`'s transaction, so it exists
 * exactly when the change commits:
 *
 *   await outbox.publish(m, TaskCreatedEvent, { task: toTaskMessage(task) }, { subject: task.ownerId });
 */
export abstract class EventOutbox {
  abstract publish<D extends TaskManagerEventDefinition>(manager: EntityManager, event: D, data: EventPayload<D>, ...opts: TypedPublishArgs<D>): Promise<void>;
}
