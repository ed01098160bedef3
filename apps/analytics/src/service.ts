import { AmqpReadiness } from '@aether/messaging';
import { defineService, MongooseReadiness } from '@aether/service-kit';
import { AnalyticsModule } from './analytics.module';
import { AnalyticsEnv } from './config/analytics.env';

/** The analytics service: stores every event once, summaries and time series (gRPC). */
export const analyticsService = defineService({
  name: 'analytics',
  env: AnalyticsEnv,
  module: AnalyticsModule,
  grpc: true,
  readiness: [MongooseReadiness, AmqpReadiness],
});
