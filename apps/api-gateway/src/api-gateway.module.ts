import { Module } from '@nestjs/common';
import { AiRoutesModule } from './ai/ai.module';
import { AnalyticsRoutesModule } from './analytics/analytics.module';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { AuditModule } from './audit/audit.module';
import { AuthRoutesModule } from './auth/auth.module';
import { CodeRoutesModule } from './code/code-routes.module';
import { ContainersRoutesModule } from './containers/containers-routes.module';
import { AsyncApiModule } from './docs/asyncapi.module';
import { GatewayCoreModule } from './core/gateway-core.module';
import { IntegrationsRoutesModule } from './integrations/integrations-routes.module';
import { JwksModule } from './jwks/jwks.module';
import { MigrationModule } from './migration/migration.module';
import { RagRoutesModule } from './rag/rag-routes.module';
import { TaskManagerRoutesModule } from './tasks/task-manager-routes.module';
import { UsersModule } from './users/users.module';

/** Everything the gateway runs; the kit adds itself around it (see service.ts). */
@Module({
  imports: [
    GatewayCoreModule,
    // Feature routes: one module per area (see README.md "Adding routes").
    AuthRoutesModule,
    ApiKeysModule,
    UsersModule,
    AuditModule,
    AnalyticsRoutesModule,
    AiRoutesModule,
    TaskManagerRoutesModule,
    IntegrationsRoutesModule,
    ContainersRoutesModule,
    RagRoutesModule,
    CodeRoutesModule,
    JwksModule,
    AsyncApiModule,
    MigrationModule,
  ],
})
export class ApiGatewayModule {}
