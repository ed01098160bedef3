import { status as GrpcStatus } from '@grpc/grpc-js';
import { DomainError, NotFoundError, RateLimitedError, UnavailableError, ValidationError } from '@aether/service-kit';

/**
 * The errors ai-gateway answers, with OpenAI's codes as their stable `code` (the gateway turns
 * them into OpenAI's error shape on /v1/*): model_not_found 404, invalid_request_error /
 * context_length_exceeded 400, budget_exceeded / rate_limit_exceeded 429, upstream_unavailable
 * 503 (504 when every target timed out).
 */
export const modelNotFound = (model: string) => new NotFoundError(`The model '${model}' does not exist or is not configured`, 'model_not_found');

export const invalidRequest = (message: string, param = '') =>
  new ValidationError(message, param ? [{ field: param, message }] : [], 'invalid_request_error');

export const contextLengthExceeded = (message: string) =>
  new ValidationError(message, [{ field: 'messages', message }], 'context_length_exceeded');

export const budgetExceeded = (message: string) => new RateLimitedError(message, undefined, 'budget_exceeded');

export const rateLimitExceeded = (message: string, retryAfterSeconds: number) => new RateLimitedError(message, retryAfterSeconds, 'rate_limit_exceeded');

export const upstreamUnavailable = (message: string) => new UnavailableError(message, 'upstream_unavailable');

/** Every target timed out: DEADLINE_EXCEEDED (504 at the edge). */
export class UpstreamTimeoutError extends DomainError {
  readonly grpcStatus = GrpcStatus.DEADLINE_EXCEEDED;
  constructor(message: string) {
    super('upstream_unavailable', message);
  }
}

/** The client went away; nothing is answered, the usage is still recorded. */
export class CancelledError extends Error {
  constructor() {
    super('cancelled by the client');
    this.name = 'CancelledError';
  }
}

/** The provider failed after the first token was sent: the client gets an error event. */
export class StreamBrokenError extends UnavailableError {
  constructor(message: string) {
    super(`The provider failed mid-stream: ${message}`, 'upstream_unavailable');
  }
}
