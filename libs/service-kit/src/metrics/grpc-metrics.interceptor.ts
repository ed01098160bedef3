import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { Observable, tap } from 'rxjs';
import { DomainError } from '../errors';
import { MetricsService } from './metrics.service';

/** Records duration and status code of every RPC the service handles. */
@Injectable()
export class GrpcMetricsInterceptor implements NestInterceptor {
  constructor(private readonly metrics: MetricsService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'rpc') return next.handle();
    const end = this.metrics.rpcDuration.startTimer({
      service: context.getClass().name,
      method: context.getHandler().name,
    });
    return next.handle().pipe(
      tap({
        complete: () => end({ code: 'OK' }),
        error: (err) => end({ code: GrpcStatus[err instanceof DomainError ? err.grpcStatus : GrpcStatus.INTERNAL] }),
      }),
    );
  }
}
