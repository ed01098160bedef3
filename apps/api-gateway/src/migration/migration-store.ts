import { Logger } from '@nestjs/common';
import type { DataSource, DataSourceOptions } from 'typeorm';
import type { AmqpConnection, MessagingModuleOptions, OutboxRelay, OutboxService } from '@aether/messaging';
import { initialisePostgres, postgresDataSourceOptions, type MetricsService } from '@aether/service-kit';
import type { GatewayEnv } from '../config/gateway.env';

/** The route table's entities (and toRoute), loaded with the store: they bring TypeORM. */
export type RouteEntities = typeof import('./route.entity');

/** Injection token of the MigrationStore, or null while routing is not configured. */
export const MIGRATION_STORE = Symbol('MIGRATION_STORE');

/**
 * The route table's storage: the gateway's own PostgreSQL (the kit's pool options and locked
 * migrations) and a transactional outbox relayed to RabbitMQ for `api-gateway.route.changed`.
 *
 * Built by hand from the kit's and @aether/messaging's classes rather than by importing
 * PostgresModule / MessagingModule, because they are optional here: a gateway without
 * DATABASE_URL (no strangler-fig routing) must start without PostgreSQL or a broker, and a
 * module graph cannot depend on the validated env.
 */
export class MigrationStore {
  private readonly logger = new Logger('MigrationStore');

  private constructor(
    readonly entities: RouteEntities,
    readonly dataSource: DataSource,
    readonly outbox: OutboxService,
    private readonly amqp: AmqpConnection,
    private readonly relay: OutboxRelay,
  ) {}

  /** Null when DATABASE_URL is unset (GatewayEnv then guarantees no routing is configured). */
  static async open(env: GatewayEnv, metrics: MetricsService): Promise<MigrationStore | null> {
    if (!env.DATABASE_URL) return null;
    // Loaded only here: a gateway without routing (most) never loads TypeORM, the broker client
    // or the route table's migration (~6 MiB of RSS at start).
    const [entities, { AmqpConnection, EventPublisher, MessagingMetrics, OUTBOX_MIGRATIONS, OutboxEvent, OutboxRelay, OutboxService }, { CreateRouteTable1765200000000 }] =
      await Promise.all([import('./route.entity'), import('@aether/messaging'), import('../migrations/1765200000000-create-route-table')]);
    const { RouteAuditEntity, RouteEntity, RouteTableVersionEntity } = entities;
    const options = postgresDataSourceOptions(
      {
        entities: [RouteEntity, RouteAuditEntity, RouteTableVersionEntity, OutboxEvent],
        migrations: [...OUTBOX_MIGRATIONS, CreateRouteTable1765200000000],
      },
      { DATABASE_URL: env.DATABASE_URL, DATABASE_POOL_SIZE: env.DATABASE_POOL_SIZE, DATABASE_CONNECT_TIMEOUT_MS: env.DATABASE_CONNECT_TIMEOUT_MS },
      'api-gateway',
    );
    const dataSource = await initialisePostgres(options as DataSourceOptions);
    const messaging: MessagingModuleOptions = { url: env.RABBITMQ_URL as string, source: 'api-gateway' };
    const amqp = new AmqpConnection(messaging);
    const messagingMetrics = new MessagingMetrics(metrics.registry);
    const relay = new OutboxRelay(dataSource, new EventPublisher(amqp, messaging, messagingMetrics), amqp, messagingMetrics);
    return new MigrationStore(entities, dataSource, new OutboxService(messaging), amqp, relay);
  }

  /** Connects to the broker (an unreachable one only delays events) and starts relaying. */
  async start(): Promise<void> {
    await this.amqp.onModuleInit();
    this.relay.start();
  }

  /** Stops the relay, then closes the broker and the pool (shutdown). */
  async close(): Promise<void> {
    await this.relay.stop().catch((e: Error) => this.logger.warn(`outbox relay stop failed: ${e.message}`));
    await this.amqp.close().catch(() => undefined);
    if (this.dataSource.isInitialized) await this.dataSource.destroy().catch(() => undefined);
  }
}
