import { DynamicModule, Global, Module, Provider } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { BaseEnv, loadEnv } from './config';
import { HealthController, LifecycleState, READINESS_PROBES, ReadinessProbeClass } from './health';
import { loggerOptions } from './logging';
import { GrpcMetricsInterceptor, MetricsController, MetricsService } from './metrics';
import { ENV_TOKEN, SERVICE_NAME } from './tokens';

export interface ServiceKitOptions<E extends BaseEnv> {
  /** App name, as in apps/<name> (used in logs, metrics and event sources). */
  name: string;
  /** Environment class; validated at start and injectable by its own type. */
  env: new () => E;
  /** Dependencies /readyz checks (their own stores and broker). */
  readiness?: ReadinessProbeClass[];
  /** Pre-validated env (tests); defaults to loadEnv(env, process.env). */
  envValues?: E;
}

/**
 * Everything a service shares: validated config, JSON logging, metrics, health, the gRPC error
 * mapping and RPC metrics. Imported once by each app's root module.
 */
@Global()
@Module({})
export class ServiceKitModule {
  /**
   * The validated env of the app being started, computed once: bootstrapService calls it before
   * Nest starts (so a bad variable exits 78 before anything logs), the providers reuse it.
   */
  static resolveEnv?: () => BaseEnv;

  static forRoot<E extends BaseEnv>(options: ServiceKitOptions<E>): DynamicModule {
    let validated: E | undefined;
    const resolveEnv = () => (validated ??= options.envValues ?? loadEnv(options.env));
    if (!options.envValues) ServiceKitModule.resolveEnv = resolveEnv;
    // Validated when the app is created (not when the module file loads), so bootstrapService can
    // report a bad variable and exit 78 instead of crashing at import time.
    const providers: Provider[] = [
      { provide: ENV_TOKEN, useFactory: resolveEnv },
      { provide: options.env, useExisting: ENV_TOKEN },
      ...(options.env === (BaseEnv as unknown) ? [] : [{ provide: BaseEnv, useExisting: ENV_TOKEN }]),
      { provide: SERVICE_NAME, useValue: options.name },
      { provide: MetricsService, useValue: new MetricsService(options.name) },
      { provide: READINESS_PROBES, useValue: options.readiness ?? [] },
      ...(options.readiness ?? []),
      LifecycleState,
      GrpcMetricsInterceptor,
    ];
    return {
      module: ServiceKitModule,
      imports: [
        TerminusModule.forRoot({ logger: false }),
        LoggerModule.forRootAsync({
          useFactory: () => loggerOptions(options.name, resolveEnv().LOG_LEVEL),
        }),
      ],
      controllers: [HealthController, MetricsController],
      providers,
      exports: [options.env, ENV_TOKEN, BaseEnv, SERVICE_NAME, MetricsService, LifecycleState, ...(options.readiness ?? [])].filter(
        (v, i, a) => a.indexOf(v) === i,
      ),
    };
  }
}
