import { DynamicModule, Inject, Module, Provider } from '@nestjs/common';
import { ClientGrpc, ClientProxyFactory, Transport } from '@nestjs/microservices';
import { InterceptingCall, Interceptor } from '@grpc/grpc-js';
import { GRPC_SERVICES, GrpcServiceName, protoPackageDefinition } from '@aether/contracts';
import { BaseEnv } from '../config';
import { MetricsService } from '../metrics';
import { ENV_TOKEN } from '../tokens';

export const grpcClientToken = (app: GrpcServiceName) => `aether:grpc-client:${app}`;

/** Injects the typed client of another app's gRPC API, e.g. @InjectGrpcClient('security'). */
export const InjectGrpcClient = (app: GrpcServiceName) => Inject(grpcClientToken(app));

/** `<APP>_GRPC_URL`, e.g. task-manager → TASK_MANAGER_GRPC_URL. */
export const grpcUrlVariable = (app: string) => `${app.replace(/-/g, '_').toUpperCase()}_GRPC_URL`;

/**
 * Gives every call a deadline unless the caller set one, and records client-side RED metrics: one
 * interceptor (one InterceptingCall per call), the method label derived once per path.
 */
export function clientCallInterceptor(metrics: MetricsService, target: string, defaultDeadlineMs: number): Interceptor {
  const methods = new Map<string, string>();
  return (options, nextCall) => {
    const path = options.method_definition.path;
    let method = methods.get(path);
    if (method === undefined) methods.set(path, (method = path.slice(path.lastIndexOf('/') + 1)));
    const started = performance.now();
    return new InterceptingCall(nextCall(options.deadline ? options : { ...options, deadline: Date.now() + defaultDeadlineMs }), {
      start(metadata, _listener, next) {
        next(metadata, {
          onReceiveStatus(status, nextStatus) {
            metrics.rpcClientDuration.observe({ target, method, code: String(status.code) }, (performance.now() - started) / 1000);
            nextStatus(status);
          },
        });
      },
    });
  };
}

@Module({})
export class GrpcClientsModule {
  /** Clients of the named apps; addresses come from `<APP>_GRPC_URL` (host:port). */
  static register(apps: GrpcServiceName[]): DynamicModule {
    const providers: Provider[] = apps.map((app) => ({
      provide: grpcClientToken(app),
      inject: [ENV_TOKEN, MetricsService],
      useFactory: (env: BaseEnv, metrics: MetricsService) => {
        // Only the validated env: a client address the env class does not declare is a bug, not a default.
        const url = (env as unknown as Record<string, string | undefined>)[grpcUrlVariable(app)];
        if (!url) throw new Error(`${grpcUrlVariable(app)} is not set (host:port of ${app}); declare it in the app's env class`);
        const def = GRPC_SERVICES[app];
        const client = ClientProxyFactory.create({
          transport: Transport.GRPC,
          options: {
            url,
            package: def.package,
            packageDefinition: protoPackageDefinition(app),
            channelOptions: {
              // Reconnect quickly once a peer is back, instead of grpc-js's default backoff up to 120 s.
              'grpc.initial_reconnect_backoff_ms': 100,
              'grpc.max_reconnect_backoff_ms': 1000,
              'grpc.keepalive_time_ms': 30000,
              interceptors: [clientCallInterceptor(metrics, app, env.GRPC_DEADLINE_MS)],
            } as Record<string, unknown>,
          },
        }) as unknown as ClientGrpc;
        return client.getService(def.service);
      },
    }));
    return { module: GrpcClientsModule, providers, exports: providers };
  }
}
