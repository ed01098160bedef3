import { DynamicModule, Global, Module, Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ENV_TOKEN, MetricsService, SERVICE_NAME } from '@aether/service-kit';
import { AmqpConnection } from './amqp-connection';
import { AmqpReadiness } from './amqp-readiness';
import { EventConsumerRegistry } from './consumer/event-consumer.registry';
import { EventPublisher } from './event-publisher';
import { IDEMPOTENCY_STORE } from './idempotency/idempotency-store';
import { MessagingMetrics } from './messaging-metrics';
import { MESSAGING_OPTIONS, MessagingModuleAsyncOptions, MessagingModuleOptions, MessagingVariables } from './messaging.options';

const PROVIDERS: Provider[] = [
  AmqpConnection,
  AmqpReadiness,
  EventPublisher,
  EventConsumerRegistry,
  {
    // The service's own registry (the kit's /metrics) unless the options name another one.
    provide: MessagingMetrics,
    inject: [MESSAGING_OPTIONS, { token: MetricsService, optional: true }],
    useFactory: (o: MessagingModuleOptions, kit?: MetricsService) => new MessagingMetrics(o.metricsRegistry ?? kit?.registry),
  },
  {
    provide: IDEMPOTENCY_STORE,
    inject: [MESSAGING_OPTIONS],
    useFactory: (o: MessagingModuleOptions) => o.idempotency ?? null,
  },
];
const EXPORTS = [MESSAGING_OPTIONS, AmqpConnection, AmqpReadiness, EventPublisher, EventConsumerRegistry, MessagingMetrics, IDEMPOTENCY_STORE];

/** RabbitMQ events for a service: publisher, consumers, readiness, metrics (global). */
@Global()
@Module({})
export class MessagingModule {
  /**
   * `url` defaults to RABBITMQ_URL of the service's validated env (the kit's ENV_TOKEN; declare it
   * with `MessagingEnv`), `source` to the service name of its definition (SERVICE_NAME); the
   * other options are given here.
   */
  static forRoot(options: Partial<MessagingModuleOptions> = {}): DynamicModule {
    return {
      module: MessagingModule,
      imports: [DiscoveryModule],
      providers: [
        {
          provide: MESSAGING_OPTIONS,
          inject: [{ token: ENV_TOKEN, optional: true }, { token: SERVICE_NAME, optional: true }],
          useFactory: (env?: Partial<MessagingVariables>, serviceName?: string) =>
            validate({ url: env?.RABBITMQ_URL ?? '', source: serviceName ?? '', ...options }),
        },
        ...PROVIDERS,
      ],
      exports: EXPORTS,
    };
  }

  /** Options computed from other providers (forRoot covers the usual case). */
  static forRootAsync(options: MessagingModuleAsyncOptions): DynamicModule {
    return {
      module: MessagingModule,
      imports: [DiscoveryModule, ...(options.imports ?? [])],
      providers: [
        {
          provide: MESSAGING_OPTIONS,
          inject: options.inject ?? [],
          useFactory: async (...args: unknown[]) => validate(await options.useFactory(...args)),
        },
        ...PROVIDERS,
      ],
      exports: EXPORTS,
    };
  }
}

function validate(o: MessagingModuleOptions): MessagingModuleOptions {
  if (!o.url || !/^amqps?:\/\//.test(o.url)) throw new Error('MessagingModule: url must be an amqp:// or amqps:// URL (RABBITMQ_URL)');
  if (!o.source || !/^[a-z][a-z0-9-]*$/.test(o.source)) throw new Error('MessagingModule: source must be the app name (lower case, e.g. "task-manager")');
  return o;
}
