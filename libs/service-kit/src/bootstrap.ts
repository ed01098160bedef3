import 'reflect-metadata';
import { Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { GrpcServiceName } from '@aether/contracts';
import type { FastifyServerOptions } from 'fastify';
import { Logger } from 'nestjs-pino';
import { BaseEnv, EnvValidationError } from './config';
import { ServiceKitModule } from './service-kit.module';
import { connectGrpcServer, GrpcHealth } from './grpc';
import { LifecycleState } from './health';
import { requestIdOf } from './logging';
import { MetricsService } from './metrics';
import { ENV_TOKEN } from './tokens';

export interface BootstrapOptions {
  name: string;
  module: Type<unknown>;
  /** The app key of its gRPC API in GRPC_SERVICES; omitted for HTTP-only apps (the gateway). */
  grpc?: GrpcServiceName;
  /** Extra Fastify server options (body limit, trust proxy, …). */
  fastify?: FastifyServerOptions;
  /** Runs before the servers listen (OpenAPI, global pipes, hooks). */
  configureHttp?: (app: NestFastifyApplication) => void | Promise<void>;
  /** Listen or not (tests may drive the app with inject()). Default true. */
  listen?: boolean;
}

export interface RunningService {
  app: NestFastifyApplication;
  httpPort: number;
  grpcPort?: number;
  /** Drain, then close: readiness 503 and gRPC NOT_SERVING, wait, stop servers, close stores. */
  shutdown(signal?: string): Promise<void>;
}

/**
 * Starts a service with everything from the kit: validated env (exit 78 with a message naming
 * each bad variable), JSON logs, management HTTP (/healthz, /readyz, /metrics), the gRPC server
 * with health and reflection, and graceful shutdown on SIGTERM/SIGINT.
 * With MIGRATE_ONLY=true it initialises the module (TypeORM runs migrations) and exits 0.
 */
export async function bootstrapService(options: BootstrapOptions): Promise<RunningService> {
  const started = process.hrtime.bigint();
  process.env.AETHER_SERVICE_NAME ??= options.name;
  try {
    // Fail fast, before Nest logs anything, when the environment is invalid.
    ServiceKitModule.resolveEnv?.();
    if (process.env.MIGRATE_ONLY === 'true') {
      const ctx = await NestFactory.createApplicationContext(options.module, { bufferLogs: true, abortOnError: false });
      await ctx.close();
      process.stdout.write(`${JSON.stringify({ level: 'info', service: options.name, msg: 'migrations applied' })}\n`);
      process.exit(0);
    }
    return await startService(options, started);
  } catch (err) {
    if (err instanceof EnvValidationError) {
      process.stderr.write(`${options.name}: ${err.message}\n`);
      process.exit(78);
    }
    process.stderr.write(`${JSON.stringify({ level: 'fatal', service: options.name, msg: 'start-up failed', err: String(err instanceof Error ? err.stack : err) })}\n`);
    process.exit(1);
  }
}

async function startService(options: BootstrapOptions, started: bigint): Promise<RunningService> {
  const adapter = new FastifyAdapter({
    bodyLimit: 1024 * 1024,
    requestIdHeader: false,
    genReqId: (req: import("node:http").IncomingMessage) => requestIdOf(req),
    ...options.fastify,
  });
  const app = await NestFactory.create<NestFastifyApplication>(options.module, adapter, { bufferLogs: true, abortOnError: false });
  const logger = app.get(Logger);
  app.useLogger(logger);
  app.flushLogs();
  const env = app.get<BaseEnv>(ENV_TOKEN);
  const lifecycle = app.get(LifecycleState);
  const metrics = app.get(MetricsService);

  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  fastify.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions?.url ?? 'unmatched';
    metrics.httpDuration.observe(
      { method: req.method, route, status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  let grpcHealth: GrpcHealth | undefined;
  let grpcPort: number | undefined;
  if (options.grpc) {
    grpcPort = env.GRPC_PORT;
    grpcHealth = connectGrpcServer(app, options.grpc, `${env.BIND_HOST}:${grpcPort}`);
  }
  await options.configureHttp?.(app);
  await app.init();
  if (grpcHealth) await app.startAllMicroservices();
  if (options.listen !== false) await app.listen(env.HTTP_PORT, env.BIND_HOST);
  const httpPort = options.listen === false ? 0 : Number(new URL(await app.getUrl()).port);

  let closing: Promise<void> | undefined;
  const shutdown = (signal = 'shutdown') =>
    (closing ??= (async () => {
      logger.log({ msg: 'draining', signal });
      lifecycle.shuttingDown = true;
      grpcHealth?.setServing(false);
      if (env.SHUTDOWN_DRAIN_DELAY_MS > 0) await new Promise((r) => setTimeout(r, env.SHUTDOWN_DRAIN_DELAY_MS));
      const force = setTimeout(() => {
        logger.error('shutdown grace period exceeded; exiting');
        process.exit(1);
      }, env.SHUTDOWN_GRACE_MS);
      force.unref();
      // app.close() stops the HTTP and gRPC servers (in-flight requests finish), then runs the
      // modules' shutdown hooks: consumers stop, relays stop, connections close.
      await app.close();
      clearTimeout(force);
    })());
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void shutdown(signal).then(
        () => process.exit(0),
        (err) => {
          process.stderr.write(`shutdown failed: ${String(err)}\n`);
          process.exit(1);
        },
      );
    });
  }

  const startupMs = Number(process.hrtime.bigint() - started) / 1e6;
  logger.log({ msg: `${options.name} started`, httpPort, grpcPort, startupMs: Math.round(startupMs) });
  return { app, httpPort, grpcPort, shutdown };
}
