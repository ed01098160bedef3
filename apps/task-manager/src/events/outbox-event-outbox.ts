import type { EventPayload } from '@aether/contracts';
import { OutboxService, type TypedPublishArgs } from '@aether/messaging';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { EventOutbox, type TaskManagerEventDefinition } from './task-manager-events';

/** EventOutbox over @aether/messaging's transactional outbox (CloudEvents, relayed after commit). */
@Injectable()
export class MessagingEventOutbox extends EventOutbox {
  constructor(private readonly outbox: OutboxService) {
    super();
  }

  async publish<D extends TaskManagerEventDefinition>(manager: EntityManager, event: D, data: EventPayload<D>, ...opts: TypedPublishArgs<D>): Promise<void> {
    await this.outbox.publish(manager, event, data, ...opts);
  }
}
