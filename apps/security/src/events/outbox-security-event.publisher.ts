import type { EventPayload } from '@aether/contracts';
import { OutboxService, type TypedPublishArgs } from '@aether/messaging';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { SecurityEventPublisher, type SecurityEventDefinition } from './security-event.publisher';

/** SecurityEventPublisher over the transactional outbox of @aether/messaging. */
@Injectable()
export class OutboxSecurityEventPublisher extends SecurityEventPublisher {
  constructor(private readonly outbox: OutboxService) {
    super();
  }

  async publish<D extends SecurityEventDefinition>(manager: EntityManager, event: D, data: EventPayload<D>, ...opts: TypedPublishArgs<D>): Promise<void> {
    await this.outbox.publish(manager, event, data, ...opts);
  }
}
