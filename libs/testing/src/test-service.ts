import type { InjectionToken } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { type BaseEnv, type RunningService, type ServiceDefinition, startService } from '@aether/service-kit';
import { freePort } from './service-process';

export interface TestServiceOptions {
  /**
   * The service's variables (as strings, like a real environment). On top of test defaults:
   * NODE_ENV=test, LOG_LEVEL=silent, BIND_HOST=127.0.0.1, HTTP_PORT=0 (a free port) and, when the
   * gRPC server runs, GRPC_PORT=<a free port>. process.env is neither read nor written.
   */
  env?: Record<string, string | undefined>;
  /** Serve the definition's gRPC API (default: whether it has one). */
  grpc?: boolean;
  /** Listen on HTTP (default true); false: drive it with app.inject() or call providers directly. */
  http?: boolean;
  /** Providers replaced by value, e.g. a clock the test moves by hand. */
  overrides?: { provide: InjectionToken; useValue: unknown }[];
}

export interface TestService<E extends BaseEnv = BaseEnv> extends RunningService<E> {
  app: NestFastifyApplication;
  /** A provider of the running graph, from any module. */
  get<T>(token: InjectionToken<T> | (abstract new (...args: never[]) => T)): T;
  /** Graceful shutdown (drains, stops the servers, closes stores); safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts a service definition in this process with the PRODUCTION module graph (the kit, the
 * app's module, the gRPC server behind its auth guard, the management HTTP port) and the given
 * env, exactly as bootstrapService runs it, minus signal handlers and process exits.
 */
export async function startTestService<E extends BaseEnv>(
  definition: ServiceDefinition<E>,
  options: TestServiceOptions = {},
): Promise<TestService<E>> {
  const grpc = options.grpc ?? definition.grpc !== undefined;
  const env: Record<string, string | undefined> = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    BIND_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    ...(grpc && definition.grpc && !options.env?.GRPC_PORT ? { GRPC_PORT: String(await freePort()) } : {}),
    ...options.env,
  };
  const running = await startService(definition, {
    env,
    grpc,
    listen: options.http !== false,
    createApp: async (root, adapter) => {
      const builder = Test.createTestingModule({ imports: [root] });
      for (const o of options.overrides ?? []) builder.overrideProvider(o.provide).useValue(o.useValue);
      const moduleRef = await builder.compile();
      return moduleRef.createNestApplication<NestFastifyApplication>(adapter, { bufferLogs: true, abortOnError: false });
    },
  });
  return {
    ...running,
    get: <T>(token: InjectionToken<T> | (abstract new (...args: never[]) => T)) => running.app.get<T>(token as InjectionToken<T>, { strict: false }),
    close: () => running.shutdown('test'),
  };
}
