import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AuthModule } from '@aether/auth';
import { MessagingModule } from '@aether/messaging';
import { AnalyticsEnv } from './config/analytics.env';
import { IngestModule } from './ingest/ingest.module';
import { QueriesModule } from './queries/queries.module';
import { RetentionModule } from './retention/retention.module';

/** Everything analytics runs; the kit adds itself around it (see service.ts). */
@Module({
  imports: [
    MongooseModule.forRootAsync({
      inject: [AnalyticsEnv],
      // autoIndex off: AnalyticsIndexes creates the indexes (TTL only where the server has it).
      // A bounded pool whose idle connections close: see MONGODB_POOL_SIZE / MONGODB_MAX_IDLE_MS.
      useFactory: (env: AnalyticsEnv) => ({
        uri: env.MONGODB_URL,
        autoIndex: false,
        serverSelectionTimeoutMS: 5000,
        maxPoolSize: env.MONGODB_POOL_SIZE,
        minPoolSize: 0,
        maxIdleTimeMS: env.MONGODB_MAX_IDLE_MS,
      }),
    }),
    MessagingModule.forRoot(),
    AuthModule.forRoot(),
    IngestModule,
    QueriesModule,
    RetentionModule,
  ],
})
export class AnalyticsModule {}
