import type { EventPayload } from '@aether/contracts';
import type { AnyEventDefinition, TypedPublishArgs } from '@aether/messaging';
import type { EntityManager } from 'typeorm';

/**
 * An event security publishes: a definition of the catalog generated from
 * proto/aether/security/v1/events.proto (UserRegisteredEvent, ..., UserRolesChangedEvent). The
 * subject is the user the event concerns; no payload carries a secret.
 */
export type SecurityEventDefinition = AnyEventDefinition & { readonly type: `security.${string}` };

/**
 * Writes a domain event into the transactional outbox, inside the caller's transaction, so the
 * event exists exactly when the change commits. Implemented over @aether/messaging's outbox.
 *
 *   await events.publish(m, UserLoggedInEvent, { sessionId, ip }, { subject: user.id });
 */
export abstract class SecurityEventPublisher {
  abstract publish<D extends SecurityEventDefinition>(manager: EntityManager, event: D, data: EventPayload<D>, ...opts: TypedPublishArgs<D>): Promise<void>;
}
