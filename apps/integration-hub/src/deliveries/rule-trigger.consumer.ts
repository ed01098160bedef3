import { Injectable } from '@nestjs/common';
import { type CloudEvent, EventConsumer } from '@aether/messaging';
import { DeliveriesService } from './deliveries.service';

/**
 * Every event of the platform goes past the rules (`#`). De-duplication is the unique
 * (event id, rule) of deliveries, so the consumer needs no idempotency store of its own.
 */
@EventConsumer({ queue: 'integration-hub.rules', patterns: ['#'], deduplicate: false })
@Injectable()
export class RuleTriggerConsumer {
  constructor(private readonly deliveries: DeliveriesService) {}

  async handle(event: CloudEvent<unknown>): Promise<void> {
    await this.deliveries.createFor(event);
  }
}
