import { STATUS_CODES } from 'node:http';
import { HttpException } from '@nestjs/common';
import {
  DomainError,
  FieldViolation,
  RateLimitedError,
  grpcStatusToHttp,
  readGrpcError,
} from '@aether/service-kit';

/** RFC 9457 body every gateway error is rendered as (`application/problem+json`). */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  requestId: string;
  errors?: FieldViolation[];
  /** /readyz only: each dependency and whether it is up (extension member, RFC 9457 §3.2). */
  details?: Record<string, { status: string }>;
}

export interface RenderedProblem {
  body: ProblemDetails;
  headers: Record<string, string>;
  /** True for failures the gateway did not expect (logged with their stack, never returned). */
  unexpected: boolean;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const PROBLEM_TYPE_BASE = 'https://aether.dev/problems/';

/** Stable codes for HTTP-level failures that are not domain errors (Fastify, Nest, routing). */
const CODE_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  411: 'LENGTH_REQUIRED',
  412: 'PRECONDITION_FAILED',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_CONTENT',
  429: 'RATE_LIMITED',
  431: 'HEADERS_TOO_LARGE',
  499: 'CLIENT_CLOSED_REQUEST',
  500: 'INTERNAL',
  501: 'NOT_IMPLEMENTED',
  503: 'UPSTREAM_UNAVAILABLE',
  504: 'UPSTREAM_TIMEOUT',
};

/** Client-facing wording for HTTP-level failures; Fastify's own messages name internals. */
const DETAIL_BY_STATUS: Record<number, string> = {
  404: 'There is no such resource',
  408: 'The request was not received in time',
  413: 'The request body is too large',
  415: 'Unsupported content type: send application/json',
  431: 'The request line and headers are too large',
};

export function problemType(code: string): string {
  return PROBLEM_TYPE_BASE + code.toLowerCase().replace(/_/g, '-');
}

/** A @grpc/grpc-js ServiceError as Nest's ClientGrpc surfaces it. */
export function isGrpcServiceError(err: unknown): boolean {
  const e = err as { code?: unknown; details?: unknown; metadata?: unknown };
  return (
    typeof e === 'object' && e !== null && typeof e.code === 'number' &&
    typeof e.details === 'string' && typeof e.metadata === 'object' && e.metadata !== null
  );
}

interface Mapped {
  status: number;
  code: string;
  detail: string;
  errors?: FieldViolation[];
  retryAfterSeconds?: number;
  unexpected?: boolean;
  details?: Record<string, { status: string }>;
}

/**
 * @nestjs/terminus' answer when a readiness check fails: `{status:'error', info, error, details}`
 * with `details.<dependency> = {status:'down', message}`. Undefined for anything else.
 */
function healthCheckFailure(response: unknown): Record<string, { status: string }> | undefined {
  const r = response as { status?: unknown; details?: unknown; error?: unknown };
  if (typeof r !== 'object' || r === null || r.status !== 'error') return undefined;
  const checks = { ...(r.details as object), ...(r.error as object) } as Record<string, { status?: unknown }>;
  const out: Record<string, { status: string }> = {};
  // Only the status: dependency messages name internal hosts (ECONNREFUSED 10.0.0.7:6379).
  for (const [name, check] of Object.entries(checks)) {
    out[name] = { status: typeof check?.status === 'string' ? check.status : 'down' };
  }
  return out;
}

function fromHttpException(err: HttpException): Mapped {
  const status = err.getStatus();
  const response = err.getResponse() as unknown;
  // Exceptions built by the gateway itself (e.g. ValidationPipe's factory) carry code/errors.
  if (typeof response === 'object' && response !== null && typeof (response as Mapped).code === 'string') {
    const r = response as Mapped & { message?: string };
    return { status, code: r.code, detail: r.detail ?? r.message ?? err.message, errors: r.errors };
  }
  const health = healthCheckFailure(response);
  if (health) {
    // /readyz: an expected answer (a dependency is down), not a gateway failure.
    const down = Object.keys(health).filter((name) => health[name].status !== 'up');
    const detail = down.length ? `Not ready: ${down.join(', ')} unavailable` : 'Not ready';
    return { status, code: 'NOT_READY', detail, details: health };
  }
  const code = CODE_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'BAD_REQUEST');
  let detail = DETAIL_BY_STATUS[status] ?? (status >= 500 ? 'Internal error' : err.message);
  if (status === 404 && /^Cannot [A-Z]+ /.test(err.message)) detail = 'There is no such route';
  return { status, code, detail, unexpected: status >= 500 };
}

/** Errors that tell the client when to try again (rate limits, an idempotent request in flight). */
function retryAfterOf(err: DomainError): number | undefined {
  if (err instanceof RateLimitedError) return err.retryAfterSeconds;
  const seconds = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
  return typeof seconds === 'number' ? seconds : undefined;
}

function map(err: unknown): Mapped {
  if (err instanceof DomainError) {
    // A few gateway-only errors have no gRPC equivalent (422) and state their HTTP status.
    const own = (err as { httpStatus?: unknown }).httpStatus;
    return {
      status: typeof own === 'number' ? own : grpcStatusToHttp(err.grpcStatus),
      code: err.code,
      detail: err.message,
      errors: err.violations.length ? err.violations : undefined,
      retryAfterSeconds: retryAfterOf(err),
    };
  }
  if (isGrpcServiceError(err)) {
    const g = readGrpcError(err);
    return {
      status: g.httpStatus,
      code: g.code,
      detail: g.message,
      errors: g.violations.length ? g.violations : undefined,
      retryAfterSeconds: g.retryAfterSeconds,
      unexpected: g.httpStatus === 500,
    };
  }
  if (err instanceof HttpException) return fromHttpException(err);
  // Fastify errors that reached us unmapped (statusCode < 500 is a client problem by definition).
  const statusCode = (err as { statusCode?: unknown })?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return {
      status: statusCode,
      code: CODE_BY_STATUS[statusCode] ?? 'BAD_REQUEST',
      detail: DETAIL_BY_STATUS[statusCode] ?? STATUS_CODES[statusCode] ?? 'Bad request',
    };
  }
  return { status: 500, code: 'INTERNAL', detail: 'Internal error', unexpected: true };
}

/**
 * The one place any thrown thing becomes an RFC 9457 answer. Domain errors and gRPC errors keep
 * their stable code; 5xx answers never carry the original message (it may name hosts or stacks).
 */
export function toProblem(err: unknown, requestId: string): RenderedProblem {
  const m = map(err);
  const headers: Record<string, string> = {};
  if (m.status === 401) headers['www-authenticate'] = 'Bearer realm="aether"';
  if (m.retryAfterSeconds !== undefined && Number.isFinite(m.retryAfterSeconds)) {
    headers['retry-after'] = String(Math.max(0, Math.ceil(m.retryAfterSeconds)));
  }
  const body: ProblemDetails = {
    type: problemType(m.code),
    title: STATUS_CODES[m.status] ?? 'Error',
    status: m.status,
    detail: m.detail,
    code: m.code,
    requestId,
  };
  if (m.errors?.length) body.errors = m.errors;
  if (m.details) body.details = m.details;
  return { body, headers, unexpected: m.unexpected === true };
}
