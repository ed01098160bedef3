import { Module } from '@nestjs/common';
import { GrpcClientsModule } from '@aether/service-kit';
import { AnalyticsController } from './analytics.controller';

/** /api/v1/analytics/* → the analytics service (ANALYTICS_GRPC_URL). */
@Module({
  imports: [GrpcClientsModule.register(['analytics'])],
  controllers: [AnalyticsController],
})
export class AnalyticsRoutesModule {}
