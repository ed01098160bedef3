import { dirname, join } from 'node:path';
import { loadPackageDefinition, type GrpcObject, type Server, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';

type ServiceRegistry = Pick<Server, 'addService'>;

/** The services of the reflection protos @grpc/reflection serves (v1, v1alpha), loaded with its options. */
function reflectionServices(): ServiceDefinition[] {
  const dir = join(dirname(require.resolve('@grpc/reflection/package.json')), 'build/proto/grpc/reflection');
  const defs = loadPackageDefinition(
    loadSync([join(dir, 'v1/reflection.proto'), join(dir, 'v1alpha/reflection.proto')], { longs: String, enums: String, bytes: Array, defaults: true, oneofs: true }),
  );
  const reflection = (defs.grpc as GrpcObject).reflection as GrpcObject;
  return ['v1', 'v1alpha'].map((v) => ((reflection[v] as GrpcObject).ServerReflection as unknown as { service: ServiceDefinition }).service);
}

/**
 * gRPC server reflection (grpcurl, Postman), served by @grpc/reflection but built on the first
 * reflection call instead of at start-up: its ReflectionService decodes and indexes every file
 * descriptor of the package twice (once per reflection version) in its constructor, ~3/4 of a
 * gRPC server's proto set-up at start-up (issue 16), for calls a service may never get. The
 * services are registered at start with the library's own protos; the first call builds the
 * library's service and hands the stream to the handler it registers.
 */
export function addLazyReflection(server: ServiceRegistry, pkg: PackageDefinition): void {
  let handlers: Map<string, UntypedServiceImplementation[string]> | undefined;
  const handlerFor = (path: string) => {
    if (!handlers) {
      const built = new Map<string, UntypedServiceImplementation[string]>();
      new ReflectionService(pkg).addToServer({
        addService(service: ServiceDefinition, implementation: UntypedServiceImplementation) {
          for (const [name, method] of Object.entries(service)) built.set(method.path, implementation[name]);
        },
      });
      handlers = built;
    }
    const handler = handlers.get(path);
    if (!handler) throw new Error(`@grpc/reflection registered no handler for ${path}`);
    return handler as (call: unknown) => void;
  };
  for (const service of reflectionServices()) {
    const implementation: UntypedServiceImplementation = {};
    for (const [name, method] of Object.entries(service)) implementation[name] = (call: unknown) => handlerFor(method.path)(call);
    server.addService(service, implementation);
  }
}
