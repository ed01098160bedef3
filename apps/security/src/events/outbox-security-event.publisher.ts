import { OutboxService } from '@aether/messaging';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { SecurityEventPublisher } from './security-event.publisher';
import type { SecurityEventType } from './security-events';

/** SecurityEventPublisher over the transactional outbox of @aether/messaging. */
@Injectable()
export class OutboxSecurityEventPublisher extends SecurityEventPublisher {
  constructor(private readonly outbox: OutboxService) {
    super();
  }

  async publish(manager: EntityManager, type: SecurityEventType, subject: string | null, data: Record<string, unknown>): Promise<void> {
    await this.outbox.enqueue(manager, type, data, subject ? { subject } : {});
  }
}
