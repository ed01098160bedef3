import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import type { FieldViolation } from './domain-errors';
import { decodeStatusDetails, STATUS_DETAILS_KEY, type StatusDetails } from './status-details';

/** gRPC status → HTTP status, as platform.md fixes it. */
export function grpcStatusToHttp(code: number): number {
  switch (code) {
    case GrpcStatus.OK: return 200;
    case GrpcStatus.INVALID_ARGUMENT: return 400;
    case GrpcStatus.OUT_OF_RANGE: return 400;
    case GrpcStatus.UNAUTHENTICATED: return 401;
    case GrpcStatus.PERMISSION_DENIED: return 403;
    case GrpcStatus.NOT_FOUND: return 404;
    case GrpcStatus.ALREADY_EXISTS: return 409;
    case GrpcStatus.ABORTED: return 409;
    case GrpcStatus.FAILED_PRECONDITION: return 412;
    case GrpcStatus.RESOURCE_EXHAUSTED: return 429;
    case GrpcStatus.UNIMPLEMENTED: return 501;
    case GrpcStatus.UNAVAILABLE: return 503;
    case GrpcStatus.DEADLINE_EXCEEDED: return 504;
    case GrpcStatus.CANCELLED: return 499;
    default: return 500;
  }
}

/** Default stable code for a gRPC status that carried none of its own. */
export function defaultErrorCode(code: number): string {
  switch (code) {
    case GrpcStatus.INVALID_ARGUMENT: return 'VALIDATION_FAILED';
    case GrpcStatus.UNAUTHENTICATED: return 'UNAUTHENTICATED';
    case GrpcStatus.PERMISSION_DENIED: return 'FORBIDDEN';
    case GrpcStatus.NOT_FOUND: return 'NOT_FOUND';
    case GrpcStatus.ALREADY_EXISTS: return 'CONFLICT';
    case GrpcStatus.FAILED_PRECONDITION: return 'VERSION_CONFLICT';
    case GrpcStatus.RESOURCE_EXHAUSTED: return 'RATE_LIMITED';
    case GrpcStatus.UNAVAILABLE: return 'UPSTREAM_UNAVAILABLE';
    case GrpcStatus.DEADLINE_EXCEEDED: return 'UPSTREAM_TIMEOUT';
    case GrpcStatus.UNIMPLEMENTED: return 'NOT_IMPLEMENTED';
    default: return 'INTERNAL';
  }
}

export interface GrpcErrorDetail {
  grpcCode: number;
  httpStatus: number;
  code: string;
  message: string;
  violations: FieldViolation[];
  retryAfterSeconds?: number;
}

/** The google.rpc.Status of the trailer, when it is there, readable and about this status. */
function statusDetailsOf(md: Metadata | undefined, grpcCode: number): StatusDetails | undefined {
  const raw = md?.get(STATUS_DETAILS_KEY)[0];
  if (!Buffer.isBuffer(raw)) return undefined;
  const details = decodeStatusDetails(raw);
  return details?.grpcCode === grpcCode ? details : undefined;
}

/**
 * Reads a gRPC client error (ServiceError from @grpc/grpc-js, as surfaced by Nest's ClientGrpc)
 * into the fields the gateway renders: code, violations and retry delay from the
 * grpc-status-details-bin trailer. Internal errors never leak their message.
 */
export function readGrpcError(err: unknown): GrpcErrorDetail {
  const e = err as { code?: number; details?: string; metadata?: Metadata };
  const grpcCode = typeof e?.code === 'number' ? e.code : GrpcStatus.INTERNAL;
  const details = statusDetailsOf(e?.metadata instanceof Metadata ? e.metadata : undefined, grpcCode);
  const httpStatus = grpcStatusToHttp(grpcCode);
  const safeMessage =
    httpStatus >= 500 && grpcCode !== GrpcStatus.UNAVAILABLE && grpcCode !== GrpcStatus.DEADLINE_EXCEEDED
      ? 'Internal error'
      : grpcCode === GrpcStatus.UNAVAILABLE ? 'A service this request needs is unavailable'
      : grpcCode === GrpcStatus.DEADLINE_EXCEEDED ? 'A service this request needs did not answer in time'
      : (e?.details ?? 'Request failed');
  return {
    grpcCode,
    httpStatus,
    code: details?.reason ?? defaultErrorCode(grpcCode),
    message: safeMessage,
    violations: details?.violations ?? [],
    retryAfterSeconds: details?.retryAfterSeconds,
  };
}
