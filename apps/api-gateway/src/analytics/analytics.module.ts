import { Module } from '@nestjs/common';
import { GrpcClientsModule } from '@aether/service-kit';
import { AnalyticsController } from './analytics.controller';

// The conventional default (docs/conventions.md ports), like GatewayEnv's SECURITY_GRPC_URL, so a
// gateway started without it still boots; the client connects lazily. TODO(lead): move to GatewayEnv.
process.env.ANALYTICS_GRPC_URL ??= '127.0.0.1:50053';

/** /api/v1/analytics/* → the analytics service (ANALYTICS_GRPC_URL). */
@Module({
  imports: [GrpcClientsModule.register(['analytics'])],
  controllers: [AnalyticsController],
})
export class AnalyticsRoutesModule {}
