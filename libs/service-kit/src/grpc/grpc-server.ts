import { GrpcOptions, Transport } from '@nestjs/microservices';
import { GRPC_SERVICES, GrpcServiceName, PROTO_LOADER_OPTIONS, protoFile, protoRoot } from '@aether/contracts';
import { HealthImplementation, ServingStatusMap } from 'grpc-health-check';
import { ReflectionService } from '@grpc/reflection';
import type { Server } from '@grpc/grpc-js';

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
