import { Module } from '@nestjs/common';
import { RedisReadiness, ServiceKitModule } from '@aether/service-kit';
import { GatewayEnv } from './config/gateway.env';
import { GatewayCoreModule } from './core/gateway-core.module';
import { AnalyticsRoutesModule } from './analytics/analytics.module';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { AuditModule } from './audit/audit.module';
import { AuthRoutesModule } from './auth/auth.module';
import { JwksModule } from './jwks/jwks.module';
import { TaskManagerRoutesModule } from './tasks/task-manager-routes.module';
import { UsersModule } from './users/users.module';

@Module({
  imports: [
    // Readiness is the gateway's own Redis only: it stays ready while an upstream service is
    // down (those requests answer 503 UPSTREAM_UNAVAILABLE instead).
    ServiceKitModule.forRoot({ name: 'api-gateway', env: GatewayEnv, readiness: [RedisReadiness] }),
    GatewayCoreModule,
    // Feature routes: one module per area (see README.md "Adding routes").
    AuthRoutesModule,
    ApiKeysModule,
    UsersModule,
    AuditModule,
    AnalyticsRoutesModule,
    TaskManagerRoutesModule,
    JwksModule,
  ],
})
export class AppModule {}
