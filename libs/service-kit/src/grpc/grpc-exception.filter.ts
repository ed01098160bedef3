import { ArgumentsHost, Catch, Logger, RpcExceptionFilter } from '@nestjs/common';
import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';
import { BaseExceptionFilter } from '@nestjs/core';
import { Observable, throwError } from 'rxjs';
import { DomainError, RateLimitedError, statusDetailsMetadata, wireSafeText } from '../errors';
import { databaseUnavailableError } from '../database/database-errors';

export interface GrpcErrorPayload {
  code: GrpcStatus;
  message: string;
  details: string;
  metadata: Metadata;
}

function payload(code: GrpcStatus, message: string, metadata = new Metadata()): GrpcErrorPayload {
  // details becomes grpc-message: grpc-js percent-encodes it, but throws on a lone surrogate.
  const text = wireSafeText(message);
  return { code, message: text, details: text, metadata };
}

/**
 * The one mapping from a thrown error to a gRPC status. The domain detail (stable code, field
 * violations, retry delay) travels as a google.rpc.Status in the grpc-status-details-bin trailer:
 * binary, so no message, whatever its characters, can break the transport.
 */
export function toGrpcError(exception: unknown, logger?: Logger): GrpcErrorPayload {
  exception = databaseUnavailableError(exception) ?? exception; // PostgreSQL down → UNAVAILABLE (503), not INTERNAL (helper P)
  if (exception instanceof DomainError) {
    const metadata = statusDetailsMetadata({
      grpcCode: exception.grpcStatus,
      message: exception.message,
      reason: exception.code,
      violations: exception.violations,
      retryAfterSeconds: exception instanceof RateLimitedError ? exception.retryAfterSeconds : undefined,
    });
    return payload(exception.grpcStatus, exception.message, metadata);
  }
  if (exception instanceof RpcException) {
    const err = exception.getError() as { code?: number; message?: string } | string;
    if (typeof err === 'object' && typeof err.code === 'number') return payload(err.code, err.message ?? 'Error');
  }
  logger?.error({ err: exception }, 'unhandled error in RPC handler');
  const message = 'Internal error';
  return payload(GrpcStatus.INTERNAL, message, statusDetailsMetadata({ grpcCode: GrpcStatus.INTERNAL, message, reason: 'INTERNAL' }));
}

/**
 * Global filter of a service: RPC errors get the gRPC mapping; HTTP errors (the management port)
 * keep Nest's default handling. The gateway installs its own problem+json filter instead.
 */
@Catch()
export class GrpcExceptionFilter extends BaseExceptionFilter implements RpcExceptionFilter<unknown> {
  private readonly logger = new Logger('GrpcExceptionFilter');
  catch(exception: unknown, host: ArgumentsHost): Observable<never> {
    if (host.getType() !== 'rpc') {
      super.catch(exception, host);
      return undefined as never;
    }
    return throwError(() => toGrpcError(exception, this.logger));
  }
}
