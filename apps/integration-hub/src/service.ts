import { AmqpReadiness } from '@aether/messaging';
import { defineService, TypeOrmReadiness } from '@aether/service-kit';
import { IntegrationHubEnv } from './config/integration-hub.env';
import { IntegrationHubModule } from './integration-hub.module';

/**
 * The integration-hub service: verified GitHub/Slack/Discord webhooks into events, and rules that
 * turn events into outbound deliveries (Slack, Discord, GitHub comments, signed webhooks) with
 * retries, circuit breakers, dead letters, a delivery log and replay.
 */
export const integrationHubService = defineService({
  name: 'integration-hub',
  env: IntegrationHubEnv,
  module: IntegrationHubModule,
  grpc: true,
  readiness: [TypeOrmReadiness, AmqpReadiness],
});
