import 'reflect-metadata';
import type { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger, PinoLogger } from 'nestjs-pino';
import { BaseEnv, EnvValidationError, loadEnv } from './config';
import { connectGrpcServer, GrpcHealth } from './grpc';
import { LifecycleState } from './health';
import { installRequestLog, requestIdOf } from './logging';
import { startIdleGc } from './memory/idle-gc';
import { MetricsService } from './metrics';
import { ServiceDefinition, serviceRootModule } from './service-definition';

export type EnvSource = Readonly<Record<string, string | undefined>>;

export interface StartServiceOptions {
  /** Variables validated into the definition's env class; default process.env. */
  env?: EnvSource;
  /** Serve the definition's gRPC API (default: whether the definition has one). */
  grpc?: boolean;
  /** Listen on HTTP_PORT (default true; tests may drive the app with inject()). */
  listen?: boolean;
  /**
   * Builds the Nest application from the root module (default NestFactory.create). Test
   * harnesses pass one that compiles a TestingModule, to override providers such as a clock.
   */
  createApp?: (root: DynamicModule, adapter: FastifyAdapter) => Promise<NestFastifyApplication>;
}

export interface RunningService<E extends BaseEnv = BaseEnv> {
  app: NestFastifyApplication;
  /** The validated env the service runs with. */
  env: E;
  httpPort: number;
  grpcPort?: number;
  /** Drain, then close: readiness 503 and gRPC NOT_SERVING, wait, stop servers, close stores. */
  shutdown(signal?: string): Promise<void>;
}

/**
 * Runs a service as a process: validated env (exit 78 with a message naming each bad variable),
 * JSON logs, management HTTP (/healthz, /readyz, /metrics), the gRPC server with health,
 * reflection and the auth guard, and graceful shutdown on SIGTERM/SIGINT (forced exit after
 * SHUTDOWN_GRACE_MS), and garbage collection when the process goes idle after start-up or a
 * burst of load (memory/idle-gc.ts, IDLE_GC_INTERVAL_MS). With MIGRATE_ONLY=true it initialises the modules (migrations run) and exits 0.
 */
export async function bootstrapService<E extends BaseEnv>(definition: ServiceDefinition<E>): Promise<RunningService<E>> {
  const started = process.hrtime.bigint();
  const { name } = definition;
  process.env.AETHER_SERVICE_NAME ??= name;
  try {
    // Fail fast, before Nest logs anything, when the environment is invalid.
    const env = loadEnv(definition.env, process.env);
    if (process.env.MIGRATE_ONLY === 'true') {
      const ctx = await NestFactory.createApplicationContext(serviceRootModule(definition, env), { bufferLogs: true, abortOnError: false });
      await ctx.close();
      process.stdout.write(`${JSON.stringify({ level: 'info', service: name, msg: 'migrations applied' })}\n`);
      process.exit(0);
    }
    const running = await startServiceWithEnv(definition, env, {}, started);
    // Process-level, so here and not in startService (tests run services inside one process).
    startIdleGc({ intervalMs: env.IDLE_GC_INTERVAL_MS });
    stopOnSignals(running);
    return running;
  } catch (err) {
    if (err instanceof EnvValidationError) {
      process.stderr.write(`${name}: ${err.message}\n`);
      process.exit(78);
    }
    process.stderr.write(`${JSON.stringify({ level: 'fatal', service: name, msg: 'start-up failed', err: String(err instanceof Error ? err.stack : err) })}\n`);
    process.exit(1);
  }
}

/**
 * Starts a service in this process without touching process state (no signal handlers, no exit,
 * env from `options.env`): the production module graph and servers, as bootstrapService runs
 * them. Throws EnvValidationError on a bad env. Used by bootstrapService and test harnesses.
 */
export async function startService<E extends BaseEnv>(definition: ServiceDefinition<E>, options: StartServiceOptions = {}): Promise<RunningService<E>> {
  return startServiceWithEnv(definition, loadEnv(definition.env, options.env ?? process.env), options, process.hrtime.bigint());
}

async function startServiceWithEnv<E extends BaseEnv>(
  definition: ServiceDefinition<E>,
  env: E,
  options: StartServiceOptions,
  started: bigint,
): Promise<RunningService<E>> {
  const adapter = new FastifyAdapter({
    bodyLimit: 1024 * 1024,
    requestIdHeader: false,
    genReqId: (req: import('node:http').IncomingMessage) => requestIdOf(req),
    ...definition.fastify?.(env),
  });
  const root = serviceRootModule(definition, env);
  const app = options.createApp
    ? await options.createApp(root, adapter)
    : await NestFactory.create<NestFastifyApplication>(root, adapter, { bufferLogs: true, abortOnError: false });
  try {
    return await serve(app, definition, env, options, started);
  } catch (err) {
    await app.close().catch(() => undefined);
    throw err;
  }
}

async function serve<E extends BaseEnv>(
  app: NestFastifyApplication,
  definition: ServiceDefinition<E>,
  env: E,
  options: StartServiceOptions,
  started: bigint,
): Promise<RunningService<E>> {
  const logger = app.get(Logger);
  app.useLogger(logger);
  app.flushLogs();
  const lifecycle = app.get(LifecycleState);
  const metrics = app.get(MetricsService);

  const fastify = app.getHttpAdapter().getInstance();
  // Callback-style hooks: an async hook costs a promise and a microtask hop per request.
  fastify.addHook('onSend', (req, reply, payload, done) => {
    reply.header('x-request-id', req.id);
    done(null, payload);
  });
  fastify.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions?.url ?? 'unmatched';
    metrics.httpDuration.observe(
      { method: req.method, route, status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });
  installRequestLog(fastify, (await app.resolve(PinoLogger)).logger);

  let grpcHealth: GrpcHealth | undefined;
  let grpcPort: number | undefined;
  if (definition.grpc && options.grpc !== false) {
    grpcPort = env.GRPC_PORT;
    grpcHealth = connectGrpcServer(app, definition.grpc, `${env.BIND_HOST}:${grpcPort}`, undefined, definition.grpcMaxReceiveBytes);
  }
  await definition.configureHttp?.(app);
  await app.init();
  if (grpcHealth) await app.startAllMicroservices();
  const listen = options.listen !== false;
  if (listen) await app.listen(env.HTTP_PORT, env.BIND_HOST);
  const httpPort = listen ? Number(new URL(await app.getUrl()).port) : 0;

  let closing: Promise<void> | undefined;
  const shutdown = (signal = 'shutdown') =>
    (closing ??= (async () => {
      logger.log({ msg: 'draining', signal });
      lifecycle.shuttingDown = true;
      grpcHealth?.setServing(false);
      if (env.SHUTDOWN_DRAIN_DELAY_MS > 0) await new Promise((r) => setTimeout(r, env.SHUTDOWN_DRAIN_DELAY_MS));
      // app.close() stops the HTTP and gRPC servers (in-flight requests finish), then runs the
      // modules' shutdown hooks: consumers stop, relays stop, connections close.
      await app.close();
    })());

  const startupMs = Number(process.hrtime.bigint() - started) / 1e6;
  logger.log({ msg: `${definition.name} started`, httpPort, grpcPort, startupMs: Math.round(startupMs) });
  return { app, env, httpPort, grpcPort, shutdown };
}

/** SIGTERM/SIGINT: graceful shutdown, exit 0; forced exit 1 after SHUTDOWN_GRACE_MS. */
function stopOnSignals(running: RunningService): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      const force = setTimeout(() => {
        process.stderr.write(`${JSON.stringify({ level: 'error', msg: 'shutdown grace period exceeded; exiting' })}\n`);
        process.exit(1);
      }, running.env.SHUTDOWN_GRACE_MS + running.env.SHUTDOWN_DRAIN_DELAY_MS);
      force.unref();
      void running.shutdown(signal).then(
        () => process.exit(0),
        (err) => {
          process.stderr.write(`shutdown failed: ${String(err)}\n`);
          process.exit(1);
        },
      );
    });
  }
}
