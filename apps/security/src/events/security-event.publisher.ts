import type { EntityManager } from 'typeorm';
import type { SecurityEventType } from './security-events';

/**
 * Writes a domain event into the transactional outbox, inside the caller's transaction, so the
 * event exists exactly when the change commits. Implemented over @aether/messaging's outbox.
 */
export abstract class SecurityEventPublisher {
  abstract publish(
    manager: EntityManager,
    type: SecurityEventType,
    subject: string | null,
    data: Record<string, unknown>,
  ): Promise<void>;
}
