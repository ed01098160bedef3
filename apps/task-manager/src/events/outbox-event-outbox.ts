import { Injectable } from '@nestjs/common';
import { OutboxService } from '@aether/messaging';
import type { EntityManager } from 'typeorm';
import { EventOutbox, type TaskManagerEventType } from './task-manager-events';

/** EventOutbox over @aether/messaging's transactional outbox (CloudEvents, relayed after commit). */
@Injectable()
export class MessagingEventOutbox extends EventOutbox {
  constructor(private readonly outbox: OutboxService) {
    super();
  }

  async publish(manager: EntityManager, type: TaskManagerEventType, subject: string, data: Record<string, unknown>): Promise<void> {
    await this.outbox.enqueue(manager, type, data, { subject });
  }
}
