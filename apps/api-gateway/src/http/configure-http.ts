import type { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { MigrationRouter } from '../migration/migration-router';
import { installJsonBodyParser } from './json-body-parser';
import { setupOpenApi } from './openapi';
import { ProblemDetailsFilter } from './problem-details.filter';

/**
 * HTTP conventions of the public API, applied before the server listens (also by tests that
 * build the app in-process). The problem+json filter is registered here, after the modules'
 * APP_FILTERs, so it is the one consulted first for every HTTP error.
 */
export function configureGatewayHttp(app: NestFastifyApplication): void {
  app.useGlobalFilters(new ProblemDetailsFilter());
  installJsonBodyParser(app.getHttpAdapter() as unknown as FastifyAdapter);
  // Strangler-fig routing decides legacy/new in an onRequest hook, before any Nest route runs.
  app.get(MigrationRouter, { strict: false }).install(app.getHttpAdapter().getInstance());
  setupOpenApi(app);
}
