import type { INestApplication } from '@nestjs/common';
import { GrpcOptions, MicroserviceOptions, Transport } from '@nestjs/microservices';
import { GRPC_SERVICES, GrpcServiceName, PROTO_LOADER_OPTIONS, protoFile, protoRoot } from '@aether/contracts';
import { HealthImplementation, ServingStatusMap } from 'grpc-health-check';
import { ReflectionService } from '@grpc/reflection';
import type { Server } from '@grpc/grpc-js';
import { GrpcMetricsInterceptor } from '../metrics';
import { GrpcExceptionFilter } from './grpc-exception.filter';

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

/** gRPC server options for an app's API from proto/: health + reflection registered on load. */
export function grpcServerOptions(app: GrpcServiceName, url: string, health: GrpcHealth): GrpcOptions {
  const def = GRPC_SERVICES[app];
  return {
    transport: Transport.GRPC,
    options: {
      package: def.package,
      protoPath: protoFile(app),
      url,
      loader: { ...PROTO_LOADER_OPTIONS, includeDirs: [protoRoot()] },
      gracefulShutdown: true,
      onLoadPackageDefinition: (pkg, server: Pick<Server, 'addService'>) => {
        new ReflectionService(pkg).addToServer(server);
        health.impl.addToServer(server as Server);
      },
    },
  };
}

/**
 * Attaches an app's gRPC server to a Nest application (call before app.init()): one config for
 * both servers, so app-wide guards (APP_GUARD: GrpcAuthGuard) protect every RPC; the filter maps
 * RPC errors to gRPC status and leaves HTTP errors to Nest; RPC metrics; lifecycle hooks run once,
 * through app.init(), before either server takes traffic. bootstrapService and tests use it.
 */
export function connectGrpcServer(app: INestApplication, service: GrpcServiceName, url: string, health = new GrpcHealth(service)): GrpcHealth {
  const server = app.connectMicroservice<MicroserviceOptions>(grpcServerOptions(service, url, health), {
    inheritAppConfig: true,
    deferInitialization: true,
  });
  app.useGlobalFilters(new GrpcExceptionFilter(app.getHttpAdapter()));
  app.useGlobalInterceptors(app.get(GrpcMetricsInterceptor));
  (server as unknown as { setIsInitHookCalled(called: boolean): void }).setIsInitHookCalled(true);
  return health;
}
