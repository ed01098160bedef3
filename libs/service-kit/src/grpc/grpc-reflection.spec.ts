import { EventEmitter } from 'node:events';
import type { ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { protoPackageDefinition } from '@aether/contracts';
import { addLazyReflection } from './grpc-reflection';

const constructed = jest.fn();
jest.mock('@grpc/reflection', () => {
  const actual = jest.requireActual<typeof import('@grpc/reflection')>('@grpc/reflection');
  return {
    ReflectionService: class extends actual.ReflectionService {
      constructor(...args: ConstructorParameters<typeof actual.ReflectionService>) {
        super(...args);
        constructed();
      }
    },
  };
});

/** What the server was given: each service's method paths and handlers. */
function register() {
  const services: { service: ServiceDefinition; implementation: UntypedServiceImplementation }[] = [];
  addLazyReflection({ addService: (service, implementation) => services.push({ service, implementation }) }, protoPackageDefinition('security'));
  return services;
}

/** One request on a reflection stream, as grpc-js hands it to the handler; resolves the answer. */
function ask(implementation: UntypedServiceImplementation, request: object): Promise<{ listServicesResponse?: { service: { name: string }[] } }> {
  return new Promise((resolve) => {
    const stream = Object.assign(new EventEmitter(), { write: resolve, end: () => undefined });
    (implementation.ServerReflectionInfo as (call: unknown) => void)(stream);
    stream.emit('data', request);
  });
}

describe('lazy gRPC server reflection', () => {
  beforeEach(() => constructed.mockClear());

  it('registers v1 and v1alpha at start without building the reflection index', () => {
    const services = register();
    expect(services.flatMap(({ service }) => Object.values(service).map((m) => m.path))).toEqual([
      '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo',
      '/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo',
    ]);
    expect(constructed).not.toHaveBeenCalled();
  });

  it("answers both versions from the library's service, built once on the first call", async () => {
    const [v1, v1alpha] = register();
    for (const { implementation } of [v1, v1alpha, v1]) {
      const answer = await ask(implementation, { listServices: '*', messageRequest: 'listServices' }); // as deserialised (oneofs)
      expect(answer.listServicesResponse?.service.map((s) => s.name)).toEqual(['aether.security.v1.SecurityService']);
    }
    expect(constructed).toHaveBeenCalledTimes(1);
  });
});
