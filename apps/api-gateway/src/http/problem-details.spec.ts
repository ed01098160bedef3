import { BadRequestException, HttpException, NotFoundException, PayloadTooLargeException, ServiceUnavailableException } from '@nestjs/common';
import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  ConflictError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitedError,
  statusDetailsMetadata,
  UnauthenticatedError,
  ValidationError,
  type StatusDetails,
} from '@aether/service-kit';
import { IdempotencyKeyReusedError, IdempotencyRequestInProgressError } from '../idempotency/idempotency.store';
import { MalformedJsonError } from './json-body-parser';
import { toProblem } from './problem-details';

function grpcError(code: number, details: string, status: Omit<StatusDetails, 'grpcCode' | 'message'> = {}) {
  const metadata = statusDetailsMetadata({ grpcCode: code, message: details, ...status });
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata });
}

describe('toProblem', () => {
  it('renders a domain error with its code, violations and the request id', () => {
    const p = toProblem(new ValidationError('The request is not valid', [{ field: 'email', message: 'must be an email address' }]), 'req-1');
    expect(p.body).toEqual({
      type: 'https://aether.dev/problems/validation-failed',
      title: 'Bad Request',
      status: 400,
      detail: 'The request is not valid',
      code: 'VALIDATION_FAILED',
      requestId: 'req-1',
      errors: [{ field: 'email', message: 'must be an email address' }],
    });
    expect(p.unexpected).toBe(false);
  });

  it.each([
    [new NotFoundError(), 404, 'NOT_FOUND'],
    [new ConflictError('EMAIL_TAKEN', 'taken'), 409, 'EMAIL_TAKEN'],
    [new PermissionDeniedError(), 403, 'FORBIDDEN'],
    [new MalformedJsonError(), 400, 'MALFORMED_JSON'],
    [new IdempotencyKeyReusedError(), 422, 'IDEMPOTENCY_KEY_REUSED'],
  ])('maps %p to %i %s', (err, status, code) => {
    const p = toProblem(err, 'r');
    expect(p.body.status).toBe(status);
    expect(p.body.code).toBe(code);
    expect(p.body).not.toHaveProperty('errors');
  });

  it('adds WWW-Authenticate to every 401', () => {
    expect(toProblem(new UnauthenticatedError('TOKEN_EXPIRED', 'expired'), 'r').headers['www-authenticate']).toMatch(/^Bearer/);
    expect(toProblem(grpcError(GrpcStatus.UNAUTHENTICATED, 'bad', { reason: 'INVALID_CREDENTIALS' }), 'r').headers).toEqual({
      'www-authenticate': 'Bearer realm="aether"',
    });
  });

  it('adds Retry-After to a 409 for an idempotent request still in flight', () => {
    const p = toProblem(new IdempotencyRequestInProgressError(), 'r');
    expect(p.body.status).toBe(409);
    expect(p.body.code).toBe('IDEMPOTENCY_REQUEST_IN_PROGRESS');
    expect(p.headers['retry-after']).toBe('1');
    expect(toProblem(new ConflictError('EMAIL_TAKEN', 'taken'), 'r').headers).toEqual({});
  });

  it('adds Retry-After to rate-limit errors', () => {
    const p = toProblem(new RateLimitedError('slow down', 7), 'r');
    expect(p.body.status).toBe(429);
    expect(p.body.code).toBe('RATE_LIMITED');
    expect(p.headers['retry-after']).toBe('7');
    const g = toProblem(grpcError(GrpcStatus.RESOURCE_EXHAUSTED, 'locked', { reason: 'LOGIN_LOCKED', retryAfterSeconds: 30 }), 'r');
    expect(g.headers['retry-after']).toBe('30');
  });

  describe('gRPC errors from upstream services', () => {
    it.each([
      [GrpcStatus.INVALID_ARGUMENT, 400],
      [GrpcStatus.UNAUTHENTICATED, 401],
      [GrpcStatus.PERMISSION_DENIED, 403],
      [GrpcStatus.NOT_FOUND, 404],
      [GrpcStatus.ALREADY_EXISTS, 409],
      [GrpcStatus.FAILED_PRECONDITION, 412],
      [GrpcStatus.RESOURCE_EXHAUSTED, 429],
      [GrpcStatus.UNAVAILABLE, 503],
      [GrpcStatus.DEADLINE_EXCEEDED, 504],
    ])('status %i → HTTP %i', (code, http) => {
      expect(toProblem(grpcError(code, 'x'), 'r').body.status).toBe(http);
    });

    it('keeps the stable code and field violations from grpc-status-details-bin', () => {
      const p = toProblem(
        grpcError(GrpcStatus.INVALID_ARGUMENT, 'bad scopes', {
          reason: 'VALIDATION_FAILED',
          violations: [{ field: 'scopes.0', message: 'unknown permission' }],
        }),
        'r',
      );
      expect(p.body.code).toBe('VALIDATION_FAILED');
      expect(p.body.errors).toEqual([{ field: 'scopes.0', message: 'unknown permission' }]);
    });

    it('reports an unreachable service as UPSTREAM_UNAVAILABLE without naming the host', () => {
      const p = toProblem(grpcError(GrpcStatus.UNAVAILABLE, 'No connection established. Last error: connect ECONNREFUSED 10.0.0.7:50051'), 'r');
      expect(p.body).toMatchObject({ status: 503, code: 'UPSTREAM_UNAVAILABLE' });
      expect(JSON.stringify(p.body)).not.toMatch(/10\.0\.0\.7|ECONNREFUSED|50051/);
      expect(toProblem(grpcError(GrpcStatus.DEADLINE_EXCEEDED, 'Deadline exceeded'), 'r').body.code).toBe('UPSTREAM_TIMEOUT');
    });

    it('hides the message of an internal upstream error', () => {
      const p = toProblem(grpcError(GrpcStatus.INTERNAL, 'QueryFailedError: relation "users" does not exist'), 'r');
      expect(p.body).toMatchObject({ status: 500, code: 'INTERNAL', detail: 'Internal error' });
      expect(p.unexpected).toBe(true);
    });
  });

  describe('framework errors', () => {
    it('an unknown route is a 404 NOT_FOUND without echoing internals', () => {
      const p = toProblem(new NotFoundException('Cannot GET /nope'), 'r');
      expect(p.body).toMatchObject({ status: 404, code: 'NOT_FOUND', detail: 'There is no such route' });
    });

    it('body too large and unsupported media type get their own codes', () => {
      expect(toProblem(new PayloadTooLargeException('Request body is too large'), 'r').body).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
      expect(toProblem(new HttpException('Unsupported Media Type: text/plain', 415), 'r').body).toMatchObject({
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      });
      expect(toProblem(new BadRequestException('nope'), 'r').body).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    });

    it('anything unexpected is a bare 500: no message, no stack', () => {
      const err = new TypeError("Cannot read properties of undefined (reading 'x') at /app/dist/main.js:1:1");
      const p = toProblem(err, 'r');
      expect(p.body).toEqual({
        type: 'https://aether.dev/problems/internal',
        title: 'Internal Server Error',
        status: 500,
        detail: 'Internal error',
        code: 'INTERNAL',
        requestId: 'r',
      });
      expect(p.unexpected).toBe(true);
    });

    it('a failed readiness check is a 503 naming each dependency, without their messages', () => {
      const down = { status: 'down', message: 'connect ECONNREFUSED 10.0.0.7:6379' };
      const err = new ServiceUnavailableException({ status: 'error', info: {}, error: { redis: down }, details: { redis: down } });
      const p = toProblem(err, 'r');
      expect(p.body).toEqual({
        type: 'https://aether.dev/problems/not-ready',
        title: 'Service Unavailable',
        status: 503,
        detail: 'Not ready: redis unavailable',
        code: 'NOT_READY',
        requestId: 'r',
        details: { redis: { status: 'down' } },
      });
      expect(JSON.stringify(p.body)).not.toContain('10.0.0.7');
      expect(p.unexpected).toBe(false);
    });
  });
});
