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
  static forRoot<E extends BaseEnv>(options: ServiceKitOptions<E>): DynamicModule {
    const env = options.envValues ?? loadEnv(options.env);
    const providers: Provider[] = [
      { provide: options.env, useValue: env },
      { provide: ENV_TOKEN, useValue: env },
      ...(options.env === (BaseEnv as unknown) ? [] : [{ provide: BaseEnv, useValue: env }]),
      { provide: SERVICE_NAME, useValue: options.name },
      { provide: MetricsService, useValue: new MetricsService(options.name) },
      { provide: READINESS_PROBES, useValue: options.readiness ?? [] },
      ...(options.readiness ?? []),
      LifecycleState,
      GrpcMetricsInterceptor,
    ];
    return {
      module: ServiceKitModule,
      imports: [TerminusModule.forRoot({ logger: false }), LoggerModule.forRoot(loggerOptions(options.name, env.LOG_LEVEL))],
      controllers: [HealthController, MetricsController],
      providers,
      exports: [options.env, ENV_TOKEN, BaseEnv, SERVICE_NAME, MetricsService, LifecycleState, ...(options.readiness ?? [])].filter(
        (v, i, a) => a.indexOf(v) === i,
      ),
    };
  }
}
