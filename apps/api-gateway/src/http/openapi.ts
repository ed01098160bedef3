import { applyDecorators } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  ApiBearerAuth,
  ApiDefaultResponse,
  ApiForbiddenResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiSecurity,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  DocumentBuilder,
  SwaggerModule,
  type OpenAPIObject,
} from '@nestjs/swagger';
import type { OperationObject, ParameterObject, ResponseObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { Public } from '@aether/auth';
import { IN_PROGRESS_RETRY_AFTER_SECONDS } from '../idempotency/idempotency.store';
import { MAX_JSON_DEPTH } from './json-body-parser';
import { MANAGEMENT_ROUTES } from './management-routes';
import { PROBLEM_CONTENT_TYPE } from './problem-details';

export const BEARER_SCHEME = 'bearer';
export const API_KEY_SCHEME = 'api-key';

class FieldViolationDto {
  @ApiProperty({ example: 'email' }) field!: string;
  @ApiProperty({ example: 'must be an email' }) message!: string;
}

class DependencyStatusDto {
  @ApiProperty({ example: 'down' }) status!: string;
}

/** RFC 9457 problem details, as every error is answered (application/problem+json). */
export class ProblemDto {
  @ApiProperty({ example: 'https://aether.dev/problems/validation-failed' }) type!: string;
  @ApiProperty({ example: 'Bad Request' }) title!: string;
  @ApiProperty({ example: 400 }) status!: number;
  @ApiProperty({ example: 'The request is not valid' }) detail!: string;
  @ApiProperty({ example: 'VALIDATION_FAILED', description: 'Stable machine-readable code' }) code!: string;
  @ApiProperty({ example: '0b6c1f5e-8f7a-4c53-9d0e-2a7c1a1f3e11', description: 'Also sent as X-Request-Id' }) requestId!: string;
  @ApiPropertyOptional({ type: [FieldViolationDto] }) errors?: FieldViolationDto[];
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { $ref: '#/components/schemas/DependencyStatusDto' },
    description: '/readyz only: each dependency and its status',
  })
  details?: Record<string, DependencyStatusDto>;
}

/** Marks a route as needing a caller (access token or API key) in the OpenAPI document. */
export const ApiAuthenticated = () =>
  applyDecorators(
    ApiBearerAuth(BEARER_SCHEME),
    ApiSecurity(API_KEY_SCHEME),
    ApiUnauthorizedResponse({ type: ProblemDto, description: 'Missing or invalid credentials' }),
    ApiForbiddenResponse({ type: ProblemDto, description: 'Authenticated but not allowed' }),
  );

/**
 * A route anyone may call: the auth guard skips it (`Public`) and the document says so with
 * `security: []` (every other operation inherits the document's bearer / API-key requirement).
 * `summary: undefined` keeps a summary set by another ApiOperation on the same route.
 */
export const PublicRoute = () => applyDecorators(Public(), ApiOperation({ summary: undefined, security: [] }));

/** Error answers every route can give. */
export const ApiProblems = () =>
  applyDecorators(
    ApiTooManyRequestsResponse({ type: ProblemDto, description: 'RATE_LIMITED: rate limit exceeded (see Retry-After)' }),
    ApiDefaultResponse({ type: ProblemDto, description: 'Any other error (500 INTERNAL), as application/problem+json' }),
  );

const JSON_CONTENT_TYPE = 'application/json';
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;
const PROBLEM_SCHEMA_REF = '#/components/schemas/ProblemDto';
const RETRY_AFTER_REF = '#/components/headers/Retry-After';

/** The kit's management routes carry no OpenAPI decorators (the kit does not know OpenAPI). */
const MANAGEMENT_OPERATIONS: Record<string, { summary: string; description: string; errors: Record<string, string> }> = {
  '/healthz': { summary: 'Liveness probe', description: 'Answers 200 while the process lives.', errors: {} },
  '/readyz': {
    summary: 'Readiness probe',
    description: "200 when the gateway's own dependencies (Redis) answer; 503 while one is down or while draining.",
    errors: { 503: 'NOT_READY: `details` names each dependency and its status' },
  },
  '/metrics': { summary: 'Prometheus metrics', description: 'Prometheus text exposition format.', errors: {} },
};

/** Why an operation may fail with a status, by what the operation takes. */
function expectedErrors(op: OperationObject, path: string): Record<string, { description: string; retryAfter?: boolean }> {
  const parameters = (op.parameters ?? []) as ParameterObject[];
  const hasBody = op.requestBody !== undefined;
  const idempotent = parameters.some((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key');
  const out: Record<string, { description: string; retryAfter?: boolean }> = {};
  const bad = ['VALIDATION_FAILED: a parameter or field is not valid (`errors` names each)'];
  if (hasBody) bad.push('MALFORMED_JSON: the body is not JSON', `JSON_TOO_DEEP: the body nests deeper than ${MAX_JSON_DEPTH} levels`);
  bad.push('BAD_URL: malformed percent-encoding');
  out['400'] = { description: bad.join('; ') };
  if (path.includes('{')) out['404'] = { description: 'NOT_FOUND: no such resource (or not visible to the caller)' };
  if (idempotent) {
    out['409'] = {
      description:
        'IDEMPOTENCY_REQUEST_IN_PROGRESS: a request with this Idempotency-Key is still being processed; ' +
        `retry after Retry-After seconds (${IN_PROGRESS_RETRY_AFTER_SECONDS}) to get its answer`,
      retryAfter: true,
    };
    out['422'] = { description: 'IDEMPOTENCY_KEY_REUSED: this Idempotency-Key was already used with another body' };
  }
  if (hasBody) {
    out['413'] = { description: 'PAYLOAD_TOO_LARGE: the body is over the size limit (1 MiB by default)' };
    out['415'] = { description: 'UNSUPPORTED_MEDIA_TYPE: send application/json' };
  }
  out['429'] = { description: 'RATE_LIMITED: rate limit exceeded', retryAfter: true };
  out['503'] = {
    description: idempotent
      ? 'UPSTREAM_UNAVAILABLE: a service the request needs, or the idempotency store, is down; retry later'
      : 'UPSTREAM_UNAVAILABLE: a service the request needs is down; retry later',
  };
  out['504'] = { description: 'UPSTREAM_TIMEOUT: the service did not answer within the deadline' };
  return out;
}

function problemResponse(description: string, retryAfter = false): ResponseObject {
  const response: ResponseObject = { description, content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: PROBLEM_SCHEMA_REF } } } };
  if (retryAfter) response.headers = { 'Retry-After': { $ref: RETRY_AFTER_REF } };
  return response;
}

/**
 * Lists every error an operation can give under its own status, as problem+json. A status a
 * decorator already describes keeps that wording (e.g. 409 EMAIL_TAKEN) and gains the generic
 * cause, so the specific reason comes first.
 */
function describeErrors(op: OperationObject, errors: Record<string, { description: string; retryAfter?: boolean }>): void {
  const responses = (op.responses ??= {}) as Record<string, ResponseObject>;
  for (const [status, { description, retryAfter }] of Object.entries(errors)) {
    const existing = responses[status];
    if (!existing) {
      responses[status] = problemResponse(description, retryAfter);
      continue;
    }
    const own = existing.description?.trim();
    const generic = description.split(':')[0];
    if (!own) existing.description = description;
    else if (!own.includes(generic)) existing.description = `${own}; ${description}`;
    // The filter renders every error as a ProblemDto, whatever schema a library declared
    // (terminus documents its own health-check body for /readyz's 503).
    existing.content = { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: PROBLEM_SCHEMA_REF } } };
    if (retryAfter) existing.headers = { ...existing.headers, 'Retry-After': { $ref: RETRY_AFTER_REF } };
  }
}

function operations(document: OpenAPIObject): { path: string; op: OperationObject }[] {
  const out: { path: string; op: OperationObject }[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (op) out.push({ path, op });
    }
  }
  return out;
}

/**
 * What @nestjs/swagger cannot say through decorators: error answers are
 * `application/problem+json` (it files every response under application/json) and listed under
 * their own status, request bodies are closed objects (unknown fields are a 400), credentials
 * are required unless an operation says `security: []`, and the kit's management routes are
 * public and described — so the document validates (OpenAPI 3.0 schema, Redocly's recommended
 * rules) and generated clients match the server.
 */
export function describeGatewayConventions(document: OpenAPIObject): OpenAPIObject {
  document.security = [{ [BEARER_SCHEME]: [] }, { [API_KEY_SCHEME]: [] }];
  document.components ??= {};
  document.components.headers = {
    ...document.components.headers,
    'Retry-After': {
      description: 'Seconds to wait before retrying (RFC 9110 §10.2.3)',
      schema: { type: 'integer', minimum: 0 },
    },
  };
  const requestSchemas = new Set<string>();
  for (const { path, op } of operations(document)) {
    // The OpenAI-compatible routes answer OpenAI's error shape, as their own decorators document.
    if (path.startsWith('/v1/')) continue;
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
    const management = MANAGEMENT_ROUTES.has(path) ? MANAGEMENT_OPERATIONS[path] : undefined;
    if (management) {
      op.summary ||= management.summary;
      op.description ||= management.description;
      op.security = []; // probes and Prometheus call without credentials
      describeErrors(op, Object.fromEntries(Object.entries(management.errors).map(([s, d]) => [s, { description: d }])));
    } else {
      describeErrors(op, expectedErrors(op, path));
    }
  }
  for (const name of requestSchemas) {
    const schema = document.components?.schemas?.[name] as { additionalProperties?: unknown } | undefined;
    if (schema) schema.additionalProperties = false;
  }
  return document;
}

/** /docs (browsable UI) and /docs/openapi.json; the document is built when first asked for. */
export function setupOpenApi(app: NestFastifyApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Aether API')
    .setDescription(
      'Public REST API of the Aether platform. Errors are RFC 9457 problem details (application/problem+json) with a ' +
        'stable `code` and the `requestId`; every response carries X-Request-Id; rate limits are announced with ' +
        'RateLimit-Limit / RateLimit-Remaining / RateLimit-Reset. JSON bodies may nest at most ' +
        `${MAX_JSON_DEPTH} levels. Creating POSTs accept an Idempotency-Key: a retry with the same key and body returns ` +
        'the first answer; while the first request is still in flight a duplicate gets 409 ' +
        `IDEMPOTENCY_REQUEST_IN_PROGRESS with Retry-After (${IN_PROGRESS_RETRY_AFTER_SECONDS} s).`,
    )
    .setVersion('1')
    .addServer('/', 'This gateway (the document is served by the API it describes)')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT or ak_... API key' }, BEARER_SCHEME)
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, API_KEY_SCHEME)
    .build();
  // Built on the first request for it, not at start: scanning every route into the document
  // and keeping it cost the gateway ~4 MiB of heap (and the work at every start) for a page few
  // callers ever load.
  const document = () => describeGatewayConventions(SwaggerModule.createDocument(app, config, { extraModels: [DependencyStatusDto] }));
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs/openapi.json',
    raw: ['json'],
  });
}
