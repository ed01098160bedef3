import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { MetricsService } from '@aether/service-kit';
import { ApiKeyAuthenticator } from '../authentication/api-key.authenticator';
import { GatewayEnv } from '../config/gateway.env';
import { ConsoleController } from './console/console.controller';
import { MigrationRouter } from './migration-router';
import { MIGRATION_STORE, MigrationStore } from './migration-store';
import { RouteStats } from './route-stats';
import { RouteTable } from './route-table.service';
import { RoutesController } from './routes.controller';
import { ShadowRunner } from './shadow-runner';

/**
 * Strangler-fig routing (README "Migrating a route"): the route table in the gateway's own
 * PostgreSQL, the router hook in front of every Nest route (installed by configureGatewayHttp),
 * the legacy proxy, rollouts, shadow comparison, live counters, the admin API and the console at
 * /admin. Without DATABASE_URL it is inert: no table, every request is served by the services.
 */
@Module({
  imports: [DiscoveryModule],
  controllers: [RoutesController, ConsoleController],
  providers: [
    {
      provide: MIGRATION_STORE,
      inject: [GatewayEnv, MetricsService],
      useFactory: (env: GatewayEnv, metrics: MetricsService) => MigrationStore.open(env, metrics),
    },
    RouteTable,
    RouteStats,
    ShadowRunner,
    MigrationRouter,
    ApiKeyAuthenticator,
  ],
  exports: [MigrationRouter, RouteTable],
})
export class MigrationModule {}
