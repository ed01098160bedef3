import { Injectable, Logger } from '@nestjs/common';
import { GithubWebhookReceivedEvent } from '@aether/contracts';
import { decodeEventAs, EventConsumer, type CloudEvent, type EventHandler } from '@aether/messaging';
import { PullRequestReviewService } from './pull-request-review.service';

/**
 * `integration-hub.github.pull_request` webhooks → PullRequestReviewService. Bound to that one
 * type (not the whole github.* family: pushes and issues never reach this queue). De-duplication
 * is the service's own (one row per delivery in PostgreSQL), so no Redis is needed; a transient
 * failure throws and the message comes back through the retry queues.
 */
@EventConsumer({ queue: 'code-assistant.pull-requests', patterns: ['integration-hub.github.pull_request'], deduplicate: false, prefetch: 2 })
@Injectable()
export class PullRequestsConsumer implements EventHandler {
  private readonly logger = new Logger(PullRequestsConsumer.name);

  constructor(private readonly reviews: PullRequestReviewService) {}

  async handle(event: CloudEvent<unknown>): Promise<void> {
    const hook = decodeEventAs(GithubWebhookReceivedEvent, event).data;
    const result = await this.reviews.handle(hook);
    this.logger.log(`${hook.repository} ${hook.event}.${hook.action} (delivery ${hook.deliveryId}): ${JSON.stringify(result)}`);
  }
}
