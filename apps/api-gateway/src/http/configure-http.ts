import type { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { GatewayEnv } from '../config/gateway.env';
import { installWebhookBodyParser } from '../integrations/webhook-body';
import { MigrationRouter } from '../migration/migration-router';
import { installDocumentUploadParsers } from '../rag/document-upload';
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
  // Webhook routes take their raw bytes (signatures), with their own size limit.
  installWebhookBodyParser(app.getHttpAdapter().getInstance(), app.get(GatewayEnv).WEBHOOK_BODY_LIMIT_BYTES);
  // RAG documents: JSON or multipart (PDF), up to RAG_MAX_UPLOAD_BYTES.
  installDocumentUploadParsers(app.getHttpAdapter().getInstance(), app.get(GatewayEnv).RAG_MAX_UPLOAD_BYTES);
  // Strangler-fig routing decides legacy/new in an onRequest hook, before any Nest route runs.
  app.get(MigrationRouter, { strict: false }).install(app.getHttpAdapter().getInstance());
  setupOpenApi(app);
}
