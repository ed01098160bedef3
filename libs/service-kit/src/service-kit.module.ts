import { DynamicModule, Global, Module, Provider } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { BaseEnv, loadEnv } from './config';
import { HealthController, LifecycleState, READINESS_PROBES, ReadinessProbeClass } from './health';
import { loggerOptions } from './logging';
import { MetricsController, MetricsService } from './metrics';
import { ENV_TOKEN, SERVICE_NAME } from './tokens';

export interface ServiceKitOptions<E extends BaseEnv> {
  /** App name, as in apps/<name> (used in logs, metrics and event sources). */
  name: string;
  /** Environment class; validated at start and injectable by its own type. */
  env: new () => E;
  /** Dependencies /readyz checks (their own stores and broker). */
  readiness?: ReadinessProbeClass[];
  /** The validated env (serviceRootModule passes it); defaults to loadEnv(env, process.env). */
  envValues?: E;
}

/**
 * Everything a service shares: validated config, JSON logging, metrics, health, the gRPC error
 * mapping and RPC metrics. Apps do not import it: serviceRootModule (defineService) adds it
 * around the app's module.
 */
@Global()
@Module({})
export class ServiceKitModule {
  static forRoot<E extends BaseEnv>(options: ServiceKitOptions<E>): DynamicModule {
    let validated: E | undefined;
    // Validated when the app is created (not when the module file loads).
    const resolveEnv = () => (validated ??= options.envValues ?? loadEnv(options.env));
    const providers: Provider[] = [
      { provide: ENV_TOKEN, useFactory: resolveEnv },
      { provide: options.env, useExisting: ENV_TOKEN },
      ...(options.env === (BaseEnv as unknown) ? [] : [{ provide: BaseEnv, useExisting: ENV_TOKEN }]),
      { provide: SERVICE_NAME, useValue: options.name },
      { provide: MetricsService, useValue: new MetricsService(options.name) },
      { provide: READINESS_PROBES, useValue: options.readiness ?? [] },
      ...(options.readiness ?? []),
      LifecycleState,
    ];
    return {
      module: ServiceKitModule,
      imports: [
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
