import { ArgumentsHost, Catch, Logger, RpcExceptionFilter } from '@nestjs/common';
import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';
import { BaseExceptionFilter } from '@nestjs/core';
import { Observable, throwError } from 'rxjs';
import { DomainError, ERROR_CODE_KEY, FIELD_VIOLATIONS_KEY, RETRY_AFTER_KEY, RateLimitedError } from '../errors';

export interface GrpcErrorPayload {
  code: GrpcStatus;
  message: string;
  details: string;
  metadata: Metadata;
}

/** The one mapping from a thrown error to a gRPC status with domain trailers. */
export function toGrpcError(exception: unknown, logger?: Logger): GrpcErrorPayload {
  const metadata = new Metadata();
  if (exception instanceof DomainError) {
    metadata.set(ERROR_CODE_KEY, exception.code);
    if (exception.violations.length) metadata.set(FIELD_VIOLATIONS_KEY, JSON.stringify(exception.violations));
    if (exception instanceof RateLimitedError && exception.retryAfterSeconds !== undefined) {
      metadata.set(RETRY_AFTER_KEY, String(exception.retryAfterSeconds));
    }
    return { code: exception.grpcStatus, message: exception.message, details: exception.message, metadata };
  }
  if (exception instanceof RpcException) {
    const err = exception.getError() as { code?: number; message?: string } | string;
    if (typeof err === 'object' && typeof err.code === 'number') {
      return { code: err.code, message: err.message ?? 'Error', details: err.message ?? 'Error', metadata };
    }
  }
  logger?.error({ err: exception }, 'unhandled error in RPC handler');
  metadata.set(ERROR_CODE_KEY, 'INTERNAL');
  return { code: GrpcStatus.INTERNAL, message: 'Internal error', details: 'Internal error', metadata };
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
