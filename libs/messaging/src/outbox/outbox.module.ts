import { DynamicModule, Inject, Injectable, Module, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AmqpConnection } from '../amqp-connection';
import { EventPublisher } from '../event-publisher';
import { MessagingMetrics } from '../messaging-metrics';
import { OutboxEvent } from './outbox-event.entity';
import { OutboxRelay } from './outbox-relay';
import { OutboxService } from './outbox.service';
import { OUTBOX_OPTIONS, OutboxModuleOptions } from './outbox.options';

/** Runs the relay for the app's lifetime; stops it before the data source and broker close. */
@Injectable()
class OutboxRelayLifecycle implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(
    private readonly relay: OutboxRelay,
    @Inject(OUTBOX_OPTIONS) private readonly options: OutboxModuleOptions,
  ) {}

  onApplicationBootstrap(): void {
    if (this.options.relay !== false) this.relay.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.relay.stop();
  }
}

/**
 * Transactional outbox over the app's TypeORM data source. Import next to TypeOrmModule (and
 * MessagingModule); add OUTBOX_MIGRATIONS to the data source's migrations and OutboxEvent to its
 * entities (or use autoLoadEntities).
 */
@Module({})
export class OutboxModule {
  static forRoot(options: OutboxModuleOptions = {}): DynamicModule {
    return {
      module: OutboxModule,
      imports: [TypeOrmModule.forFeature([OutboxEvent], options.dataSource)],
      providers: [
        { provide: OUTBOX_OPTIONS, useValue: options },
        OutboxService,
        {
          provide: OutboxRelay,
          inject: [getDataSourceToken(options.dataSource), EventPublisher, AmqpConnection, MessagingMetrics],
          useFactory: (ds: DataSource, publisher: EventPublisher, conn: AmqpConnection, metrics: MessagingMetrics) =>
            new OutboxRelay(ds, publisher, conn, metrics, options),
        },
        OutboxRelayLifecycle,
      ],
      exports: [OutboxService, OutboxRelay],
    };
  }
}
