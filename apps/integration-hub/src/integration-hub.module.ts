import { Module } from '@nestjs/common';
import { AuthModule } from '@aether/auth';
import { ConnectionsModule } from './connections/connections.module';
import { DatabaseModule } from './database/database.module';
import { DeliveriesModule } from './deliveries/deliveries.module';
import { EventsModule } from './events/events.module';
import { GithubModule } from './github/github.module';
import { IntakeModule } from './intake/intake.module';
import { RulesModule } from './rules/rules.module';

/** Everything integration-hub runs; the kit adds itself around it (see service.ts). */
@Module({
  imports: [
    DatabaseModule,
    // Verifies the caller's token on every RPC (the kit installs the guard on the gRPC server).
    AuthModule.forRoot(),
    EventsModule,
    ConnectionsModule,
    IntakeModule,
    RulesModule,
    DeliveriesModule,
    GithubModule,
  ],
})
export class IntegrationHubModule {}
