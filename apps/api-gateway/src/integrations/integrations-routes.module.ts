import { Module } from '@nestjs/common';
import { GrpcClientsModule } from '@aether/service-kit';
import { ConnectionsController, DeliveriesController, RulesController } from './integrations.controller';
import { WebhooksController } from './webhooks.controller';

/** /api/v1/integrations (admin) and /api/v1/webhooks (signed by the providers) → integration-hub (INTEGRATION_HUB_GRPC_URL). */
@Module({
  imports: [GrpcClientsModule.register(['integration-hub'])],
  // Static segments (rules, deliveries) win over /:id in the router whatever the order.
  controllers: [RulesController, DeliveriesController, ConnectionsController, WebhooksController],
})
export class IntegrationsRoutesModule {}
