import type { FactoryProvider } from '@nestjs/common';
import * as protoLoader from '@grpc/proto-loader';
import { GrpcClientsModule } from './grpc-clients.module';

jest.mock('@grpc/proto-loader', () => {
  const actual = jest.requireActual<typeof import('@grpc/proto-loader')>('@grpc/proto-loader');
  return { ...actual, loadSync: jest.fn(actual.loadSync) };
});

/** The client a feature module's GrpcClientsModule.register([app]) provides, built as Nest would. */
function client(app: 'task-manager' | 'security') {
  const [provider] = GrpcClientsModule.register([app]).providers as FactoryProvider[];
  const env = { TASK_MANAGER_GRPC_URL: '127.0.0.1:1', SECURITY_GRPC_URL: '127.0.0.1:2', GRPC_DEADLINE_MS: 1000 };
  return provider.useFactory(env, {}) as Record<string, unknown>;
}

describe('GrpcClientsModule', () => {
  it("loads an upstream's proto once per process, however many feature modules register it", () => {
    const loads = protoLoader.loadSync as jest.Mock;
    loads.mockClear();
    const tasks = client('task-manager');
    const schedules = client('task-manager');
    expect(typeof tasks.getTask).toBe('function');
    expect(typeof schedules.getTask).toBe('function');
    expect(loads).toHaveBeenCalledTimes(1);
    expect(typeof client('security').login).toBe('function');
    expect(loads).toHaveBeenCalledTimes(2);
  });
});
