import { status as GrpcStatus } from '@grpc/grpc-js';

export interface FieldViolation {
  field: string;
  message: string;
}

/**
 * An expected failure of a domain operation. Transport layers map it once: to a gRPC status
 * (kit's gRPC filter) and from there to RFC 9457 problem details (gateway). `code` is the stable
 * machine string clients see (e.g. EMAIL_TAKEN).
 */
export abstract class DomainError extends Error {
  abstract readonly grpcStatus: GrpcStatus;
  constructor(
    readonly code: string,
    message: string,
    readonly violations: FieldViolation[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends DomainError {
  readonly grpcStatus = GrpcStatus.INVALID_ARGUMENT;
  constructor(message: string, violations: FieldViolation[] = [], code = 'VALIDATION_FAILED') {
    super(code, message, violations);
  }
}

export class NotFoundError extends DomainError {
  readonly grpcStatus = GrpcStatus.NOT_FOUND;
  constructor(message = 'Resource not found', code = 'NOT_FOUND') {
    super(code, message);
  }
}

export class ConflictError extends DomainError {
  readonly grpcStatus = GrpcStatus.ALREADY_EXISTS;
  constructor(code: string, message: string) {
    super(code, message);
  }
}

/** A precondition the client sent (If-Match version) no longer holds → HTTP 412. */
export class PreconditionFailedError extends DomainError {
  readonly grpcStatus = GrpcStatus.FAILED_PRECONDITION;
  constructor(code = 'VERSION_CONFLICT', message = 'The resource was changed by someone else') {
    super(code, message);
  }
}

export class UnauthenticatedError extends DomainError {
  readonly grpcStatus = GrpcStatus.UNAUTHENTICATED;
  constructor(code = 'UNAUTHENTICATED', message = 'Authentication is required') {
    super(code, message);
  }
}

export class PermissionDeniedError extends DomainError {
  readonly grpcStatus = GrpcStatus.PERMISSION_DENIED;
  constructor(message = 'You are not allowed to do this', code = 'FORBIDDEN') {
    super(code, message);
  }
}

export class RateLimitedError extends DomainError {
  readonly grpcStatus = GrpcStatus.RESOURCE_EXHAUSTED;
  constructor(
    message = 'Too many requests',
    readonly retryAfterSeconds?: number,
    code = 'RATE_LIMITED',
  ) {
    super(code, message);
  }
}

export class UnavailableError extends DomainError {
  readonly grpcStatus = GrpcStatus.UNAVAILABLE;
  constructor(message = 'A dependency is unavailable', code = 'UPSTREAM_UNAVAILABLE') {
    super(code, message);
  }
}
