import { applyDecorators } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  ApiBearerAuth,
  ApiDefaultResponse,
  ApiForbiddenResponse,
  ApiProperty,
  ApiPropertyOptional,
  ApiSecurity,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  DocumentBuilder,
  SwaggerModule,
  type OpenAPIObject,
} from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE } from './problem-details';

export const BEARER_SCHEME = 'bearer';
export const API_KEY_SCHEME = 'api-key';

class FieldViolationDto {
  @ApiProperty({ example: 'email' }) field!: string;
  @ApiProperty({ example: 'must be an email' }) message!: string;
}

/** RFC 9457 problem details, as every error is answered (application/problem+json). */
export class ProblemDto {
  @ApiProperty({ example: 'https://aether.dev/problems/validation-failed' }) type!: string;
  @ApiProperty({ example: 'Bad Request' }) title!: string;
  @ApiProperty({ example: 400 }) status!: number;
  @ApiProperty({ example: 'The request is not valid' }) detail!: string;
  @ApiProperty({ example: 'VALIDATION_FAILED', description: 'Stable machine-readable code' }) code!: string;
  @ApiProperty({ example: '0b6c1f5e-8f7a-4c53-9d0e-2a7c1a1f3e11' }) requestId!: string;
  @ApiPropertyOptional({ type: [FieldViolationDto] }) errors?: FieldViolationDto[];
}

/** Marks a route as needing a caller (access token or API key) in the OpenAPI document. */
export const ApiAuthenticated = () =>
  applyDecorators(
    ApiBearerAuth(BEARER_SCHEME),
    ApiSecurity(API_KEY_SCHEME),
    ApiUnauthorizedResponse({ type: ProblemDto, description: 'Missing or invalid credentials' }),
    ApiForbiddenResponse({ type: ProblemDto, description: 'Authenticated but not allowed' }),
  );

/** Error answers every route can give. */
export const ApiProblems = () =>
  applyDecorators(
    ApiTooManyRequestsResponse({ type: ProblemDto, description: 'Rate limit exceeded (see Retry-After)' }),
    ApiDefaultResponse({ type: ProblemDto, description: 'Any error, as application/problem+json' }),
  );

const JSON_CONTENT_TYPE = 'application/json';
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

/**
 * What @nestjs/swagger cannot say through decorators: error answers are
 * `application/problem+json` (it files every response under application/json), and request
 * bodies are closed objects (unknown fields are a 400), so generated clients match the server.
 */
export function describeGatewayConventions(document: OpenAPIObject): OpenAPIObject {
  const requestSchemas = new Set<string>();
  for (const item of Object.values(document.paths)) {
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (!op) continue;
      const body = op.requestBody as { content?: Record<string, { schema?: { $ref?: string } }> } | undefined;
      const ref = body?.content?.[JSON_CONTENT_TYPE]?.schema?.$ref;
      if (ref) requestSchemas.add(ref.replace('#/components/schemas/', ''));
      for (const [status, response] of Object.entries(op.responses ?? {})) {
        const content = (response as { content?: Record<string, unknown> }).content;
        const isError = status === 'default' || Number(status) >= 400;
        if (!isError || !content?.[JSON_CONTENT_TYPE]) continue;
        content[PROBLEM_CONTENT_TYPE] = content[JSON_CONTENT_TYPE];
        delete content[JSON_CONTENT_TYPE];
      }
    }
  }
  for (const name of requestSchemas) {
    const schema = document.components?.schemas?.[name] as { additionalProperties?: unknown } | undefined;
    if (schema) schema.additionalProperties = false;
  }
  return document;
}

/** /docs (browsable UI) and /docs/openapi.json. */
export function setupOpenApi(app: NestFastifyApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Aether API')
    .setDescription(
      'Public REST API of the Aether platform. Errors are RFC 9457 problem details; every response carries X-Request-Id; ' +
        'rate limits are announced with RateLimit-Limit / RateLimit-Remaining / RateLimit-Reset.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT or ak_... API key' }, BEARER_SCHEME)
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, API_KEY_SCHEME)
    .build();
  const document = describeGatewayConventions(SwaggerModule.createDocument(app, config));
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs/openapi.json',
    raw: ['json'],
  });
}
