import { Metadata, ServerInterceptingCall, status as GrpcStatus, type ServerInterceptor } from '@grpc/grpc-js';
import type { MetricsService } from './metrics.service';

/** What grpc_server_handling_seconds calls an RPC: the controller class and its handler method. */
export interface RpcMetricLabels {
  service: string;
  method: string;
}

const LABELS = Symbol('aether.rpcMetricLabels');
type LabelledMetadata = Metadata & { [LABELS]?: RpcMetricLabels };

/**
 * Names the call whose request metadata this is, for the metrics interceptor. The kit's RPC guard
 * calls it first thing on every RPC that reaches a Nest handler (so calls its auth refuses are
 * counted too); health and reflection calls are never named and not recorded.
 */
export function nameRpcForMetrics(metadata: Metadata, labels: RpcMetricLabels): void {
  (metadata as LabelledMetadata)[LABELS] = labels;
}

/**
 * Records duration and status code of every RPC the service handles, as a grpc-js server
 * interceptor: it sees the status actually sent, and costs one wrapper per call, where a Nest
 * interceptor cost an AsyncResource with two util.deprecate wrappers (Nest binds each interceptor
 * step with AsyncResource.bind) and an rxjs pipeline per call.
 */
export function grpcMetricsInterceptor(metrics: MetricsService): ServerInterceptor {
  return (_method, call) => {
    const started = performance.now();
    let metadata: LabelledMetadata | undefined;
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (md, nextMd) => {
            metadata = md;
            nextMd(md);
          },
        }),
      sendStatus: (status, next) => {
        const labels = metadata?.[LABELS];
        if (labels) {
          metrics.rpcDuration.observe(
            { service: labels.service, method: labels.method, code: GrpcStatus[status.code] ?? String(status.code) },
            (performance.now() - started) / 1000,
          );
        }
        next(status);
      },
    });
  };
}
