import { DynamicModule, Global, Module, Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { MetricsService } from '@aether/service-kit';
import { AmqpConnection } from './amqp-connection';
import { AmqpReadiness } from './amqp-readiness';
import { EventConsumerRegistry } from './consumer/event-consumer.registry';
import { EventPublisher } from './event-publisher';
import { IDEMPOTENCY_STORE } from './idempotency/idempotency-store';
import { MessagingMetrics } from './messaging-metrics';
import { MESSAGING_OPTIONS, MessagingModuleAsyncOptions, MessagingModuleOptions } from './messaging.options';

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
  static forRoot(options: MessagingModuleOptions): DynamicModule {
    return {
      module: MessagingModule,
      imports: [DiscoveryModule],
      providers: [{ provide: MESSAGING_OPTIONS, useValue: validate(options) }, ...PROVIDERS],
      exports: EXPORTS,
    };
  }

  /** Options from the app's validated env, e.g. `useFactory: (env: AppEnv) => ({ url: env.RABBITMQ_URL, source: 'analytics' })`. */
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
