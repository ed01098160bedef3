import { DynamicModule, Module, Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { GRPC_SERVICES, GrpcServiceName } from '@aether/contracts';
import type { FastifyServerOptions } from 'fastify';
import { BaseEnv } from './config';
import type { ReadinessProbeClass } from './health';
import { ServiceKitModule } from './service-kit.module';

export interface ServiceDefinitionOptions<E extends BaseEnv> {
  /**
   * The app's name, exactly `apps/<name>`, stated once: its GRPC_SERVICES key, the `service` of
   * every log line and metric, the `source` of its events, the key of its migration lock.
   */
  name: string;
  /** Environment class, validated before anything starts (exit 78 naming each bad variable). */
  env: new () => E;
  /** The app's own modules (features, stores); the kit adds its ServiceKitModule around them. */
  module: Type<unknown>;
  /**
   * `true`: serve GRPC_SERVICES[name] on GRPC_PORT, behind the GRPC_AUTH_GUARD; `false`: HTTP
   * only (the gateway). A GRPC_SERVICES key serves another app's contract (stand-ins in tests).
   */
  grpc: boolean | GrpcServiceName;
  /** What /readyz checks: the app's own stores and broker (provider classes of its modules). */
  readiness?: ReadinessProbeClass[];
  /** Largest gRPC request the server accepts (default grpc-js's 4 MiB); e.g. rag's document uploads. */
  grpcMaxReceiveBytes?: number;
  /** Fastify server options derived from the validated env (body limit, trust proxy, …). */
  fastify?: (env: E) => FastifyServerOptions;
  /** Runs before the servers listen (OpenAPI, hooks, error rendering). */
  configureHttp?: (app: NestFastifyApplication) => void | Promise<void>;
}

/** What `defineService` returns: a checked, frozen description that bootstrapService and tests start. */
export interface ServiceDefinition<E extends BaseEnv = BaseEnv> extends Readonly<Omit<ServiceDefinitionOptions<E>, 'grpc'>> {
  /** The gRPC contract served, or undefined for an HTTP-only app. */
  readonly grpc?: GrpcServiceName;
}

const APP_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/**
 * The one statement that makes a service (apps/<name>/src/service.ts); `main.ts` is
 * `void bootstrapService(definition)` and tests run the same definition with
 * `startTestService` (@aether/testing). Mistakes in the definition throw at import time.
 */
export function defineService<E extends BaseEnv>(options: ServiceDefinitionOptions<E>): ServiceDefinition<E> {
  const { name } = options;
  if (!APP_NAME.test(name)) throw new Error(`defineService: name "${name}" must be the app folder name (lower-case words joined by "-")`);
  let grpc: GrpcServiceName | undefined;
  if (options.grpc === true) {
    if (!(name in GRPC_SERVICES)) throw new Error(`defineService: "${name}" has no gRPC contract in GRPC_SERVICES (proto/aether/<app>/v1); set grpc: false for an HTTP-only app`);
    grpc = name as GrpcServiceName;
  } else if (typeof options.grpc === 'string') {
    if (!(options.grpc in GRPC_SERVICES)) throw new Error(`defineService: unknown gRPC contract "${options.grpc}"`);
    grpc = options.grpc;
  }
  return Object.freeze({ ...options, readiness: [...(options.readiness ?? [])], grpc });
}

/**
 * The root module of a running service: the kit (validated `env`, logs, metrics, health) and the
 * app's module. bootstrapService and startTestService both start exactly this graph.
 */
export function serviceRootModule<E extends BaseEnv>(definition: ServiceDefinition<E>, env: E): DynamicModule {
  @Module({})
  class ServiceRootModule {}
  return {
    module: ServiceRootModule,
    imports: [
      ServiceKitModule.forRoot({ name: definition.name, env: definition.env, envValues: env, readiness: definition.readiness }),
      definition.module,
    ],
  };
}
