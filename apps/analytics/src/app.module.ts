import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AuthModule, GrpcAuthAppGuard } from '@aether/auth';
import { AmqpReadiness, MessagingModule } from '@aether/messaging';
import { MongooseReadiness, ServiceKitModule } from '@aether/service-kit';
import { AnalyticsEnv } from './config/analytics.env';
import { IngestModule } from './ingest/ingest.module';
import { QueriesModule } from './queries/queries.module';
import { RetentionModule } from './retention/retention.module';

@Module({
  imports: [
    ServiceKitModule.forRoot({ name: 'analytics', env: AnalyticsEnv, readiness: [MongooseReadiness, AmqpReadiness] }),
    MongooseModule.forRootAsync({
      inject: [AnalyticsEnv],
      // autoIndex off: AnalyticsIndexes creates the indexes (TTL only where the server has it).
      useFactory: (env: AnalyticsEnv) => ({ uri: env.MONGODB_URL, autoIndex: false, serverSelectionTimeoutMS: 5000 }),
    }),
    MessagingModule.forRootAsync({
      inject: [AnalyticsEnv],
      useFactory: (env: AnalyticsEnv) => ({ url: env.RABBITMQ_URL, source: 'analytics' }),
    }),
    AuthModule.forRoot(),
    IngestModule,
    QueriesModule,
    RetentionModule,
  ],
  providers: [GrpcAuthAppGuard],
})
export class AppModule {}
