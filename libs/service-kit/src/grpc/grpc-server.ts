import type { CanActivate, ExecutionContext, INestApplication } from '@nestjs/common';
import { ApplicationConfig, ModulesContainer } from '@nestjs/core';
import { GrpcOptions, MicroserviceOptions, Transport } from '@nestjs/microservices';
import { GRPC_SERVICES, GrpcServiceName, protoPackageDefinition } from '@aether/contracts';
import { HealthImplementation, ServingStatusMap } from 'grpc-health-check';
import type { Server, ServerInterceptor } from '@grpc/grpc-js';
import { grpcMetricsInterceptor, MetricsService, nameRpcForMetrics, type RpcMetricLabels } from '../metrics';
import { GRPC_AUTH_GUARD } from '../tokens';
import { GrpcExceptionFilter } from './grpc-exception.filter';
import { KitGrpcServer } from './grpc-dispatch';
import { addLazyReflection } from './grpc-reflection';

/** The standard grpc.health.v1 service of a server; the kit flips it to NOT_SERVING on shutdown. */
export class GrpcHealth {
  readonly impl: HealthImplementation;
  constructor(private readonly serviceName: string) {
    const statusMap: ServingStatusMap = { '': 'SERVING', [serviceName]: 'SERVING' };
    this.impl = new HealthImplementation(statusMap);
  }
  setServing(serving: boolean): void {
    const s = serving ? 'SERVING' : 'NOT_SERVING';
    this.impl.setStatus('', s);
    this.impl.setStatus(this.serviceName, s);
  }
}

/**
 * gRPC server options for an app's API from proto/: health + reflection registered on load;
 * `interceptors` are grpc-js server interceptors (Nest passes channelOptions to the Server).
 */
export function grpcServerOptions(app: GrpcServiceName, url: string, health: GrpcHealth, maxReceiveBytes?: number, interceptors: ServerInterceptor[] = []): GrpcOptions {
  const def = GRPC_SERVICES[app];
  return {
    transport: Transport.GRPC,
    options: {
      package: def.package,
      packageDefinition: protoPackageDefinition(app),
      url,
      gracefulShutdown: true,
      ...(interceptors.length ? { channelOptions: { interceptors } as NonNullable<GrpcOptions['options']['channelOptions']> } : {}),
      ...(maxReceiveBytes ? { maxReceiveMessageLength: maxReceiveBytes } : {}),
      onLoadPackageDefinition: (pkg, server: Pick<Server, 'addService'>) => {
        addLazyReflection(server, pkg);
        health.impl.addToServer(server as Server);
      },
    },
  };
}

/**
 * The app's GRPC_AUTH_GUARD, applied to RPCs only (the management HTTP endpoints stay open). It
 * runs first on every RPC, so it also names the call for the metrics interceptor.
 */
class RpcAuthGuard implements CanActivate {
  private readonly labels = new WeakMap<object, RpcMetricLabels>();
  constructor(private readonly guard: CanActivate) {}
  canActivate(ctx: ExecutionContext) {
    if (ctx.getType() !== 'rpc') return true;
    const handler = ctx.getHandler();
    let labels = this.labels.get(handler);
    if (!labels) this.labels.set(handler, (labels = { service: ctx.getClass().name, method: handler.name }));
    nameRpcForMetrics(ctx.getArgByIndex(1), labels);
    return this.guard.canActivate(ctx);
  }
}

function grpcAuthGuard(app: INestApplication, service: GrpcServiceName): CanActivate {
  let guard: CanActivate | undefined;
  try {
    guard = app.get<CanActivate>(GRPC_AUTH_GUARD, { strict: false });
  } catch {
    guard = undefined;
  }
  if (typeof guard?.canActivate !== 'function') {
    throw new Error(
      `the gRPC server of ${service} has no auth guard: import AuthModule (@aether/auth) into the app's module ` +
        '(it provides GRPC_AUTH_GUARD); handlers that need no caller are marked @Public()',
    );
  }
  return guard;
}

/**
 * Attaches an app's gRPC server to a Nest application (call before app.init()): one config for
 * both servers; every RPC passes the app's GRPC_AUTH_GUARD (the server does not start without
 * one, so no app can forget it); the filter maps RPC errors to gRPC status and leaves HTTP errors
 * to Nest; RPC metrics; lifecycle hooks run once, through app.init(), before either server takes
 * traffic. Used by startService (bootstrapService and @aether/testing's startTestService).
 */
export function connectGrpcServer(app: INestApplication, service: GrpcServiceName, url: string, health = new GrpcHealth(service), maxReceiveBytes?: number): GrpcHealth {
  const guard = grpcAuthGuard(app, service);
  const interceptors = [grpcMetricsInterceptor(app.get(MetricsService))];
  const rpcGuard = new RpcAuthGuard(guard);
  const filter = new GrpcExceptionFilter(app.getHttpAdapter());
  // The app's config (the microservice inherits it): global enhancers other than the kit's own
  // guard and filter send every handler through Nest's pipeline (KitGrpcServer).
  const config = (app as unknown as { config: ApplicationConfig }).config;
  const otherGlobalEnhancers = () =>
    config.getGlobalGuards().some((g) => g !== rpcGuard) ||
    config.getGlobalFilters().some((f) => f !== filter) ||
    config.getGlobalPipes().length > 0 ||
    config.getGlobalInterceptors().length > 0 ||
    config.getGlobalRequestGuards().length > 0 ||
    config.getGlobalRequestFilters().length > 0 ||
    config.getGlobalRequestPipes().length > 0 ||
    config.getGlobalRequestInterceptors().length > 0;
  const strategy = new KitGrpcServer(grpcServerOptions(service, url, health, maxReceiveBytes, interceptors).options, () => app.get(ModulesContainer), guard, otherGlobalEnhancers);
  const server = app.connectMicroservice<MicroserviceOptions>({ strategy }, { inheritAppConfig: true, deferInitialization: true });
  app.useGlobalGuards(rpcGuard);
  app.useGlobalFilters(filter);
  (server as unknown as { setIsInitHookCalled(called: boolean): void }).setIsInitHookCalled(true);
  return health;
}
