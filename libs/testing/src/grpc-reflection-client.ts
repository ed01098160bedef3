import { credentials, loadPackageDefinition, type GrpcObject } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

type ReflectionStream = NodeJS.EventEmitter & { write(request: object): void; end(): void };

/**
 * A gRPC server reflection client (as grpcurl uses it) on `address`, over @grpc/reflection's own
 * protos: `ask` sends one request on the stream and resolves the server's answer.
 */
export function reflectionClient(address: string, version: 'v1' | 'v1alpha' = 'v1') {
  const def = loadSync(require.resolve(`@grpc/reflection/build/proto/grpc/reflection/${version}/reflection.proto`), { longs: String, enums: String, defaults: true, oneofs: true });
  const reflection = ((loadPackageDefinition(def).grpc as GrpcObject).reflection as GrpcObject)[version] as GrpcObject;
  const Client = reflection.ServerReflection as unknown as new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => {
    ServerReflectionInfo(): ReflectionStream;
    close(): void;
  };
  const client = new Client(address, credentials.createInsecure());
  const call = client.ServerReflectionInfo();
  return {
    ask: <T = any>(request: object) =>
      new Promise<T>((resolve, reject) => {
        call.once('data', resolve);
        call.once('error', reject);
        call.write(request);
      }),
    /** The full names of the services the server lists. */
    async services(): Promise<string[]> {
      const answer = await this.ask<{ listServicesResponse: { service: { name: string }[] } }>({ listServices: '*' });
      return answer.listServicesResponse.service.map((s) => s.name);
    },
    close() {
      call.end();
      client.close();
    },
  };
}
