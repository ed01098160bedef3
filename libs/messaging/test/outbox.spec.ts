import { createTempDatabase, createTempVhost, freePort, TempResource, waitFor } from '@aether/testing';
import { Test, TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { context, trace } from '@opentelemetry/api';
import { node } from '@opentelemetry/sdk-node';
import * as amqplib from 'amqplib';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import {
  AmqpConnection,
  EventPublisher,
  MessagingMetrics,
  MessagingModule,
  MessagingModuleOptions,
  MessagingUnavailableError,
  OUTBOX_MIGRATIONS,
  OutboxEvent,
  OutboxModule,
  OutboxRelay,
  OutboxService,
} from '../src';
import { sleep } from './support/fixtures';
import { TcpProxy } from './support/tcp-proxy';

interface WireMessage {
  id: string;
  type: string;
  data: { n?: number | string };
  traceparent?: unknown;
}

describe('Transactional outbox (PostgreSQL + RabbitMQ)', () => {
  let db: TempResource;
  let vhost: TempResource;
  let proxy: TcpProxy;
  let moduleRef: TestingModule;
  let ds: DataSource;
  let outbox: OutboxService;
  let raw: amqplib.ChannelModel;
  const wire: WireMessage[] = [];
  const tracerProvider = new node.NodeTracerProvider();

  const ids = (type: string) => wire.filter((m) => m.type === type).map((m) => m.id);

  beforeAll(async () => {
    tracerProvider.register();
    [db, vhost] = await Promise.all([createTempDatabase('outbox'), createTempVhost('outbox')]);
    // The app reaches the broker through a proxy the tests can cut: a broker outage on demand.
    proxy = new TcpProxy(await freePort(), { host: '127.0.0.1', port: Number(new URL(vhost.url).port || 5672) });
    await proxy.up();
    const proxied = new URL(vhost.url);
    proxied.port = String(proxy.port);

    moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url, entities: [OutboxEvent], migrations: OUTBOX_MIGRATIONS, migrationsRun: true }),
        MessagingModule.forRoot({ url: proxied.toString(), source: 'test-app', reconnectDelayMs: 200, publishTimeoutMs: 2000, metricsRegistry: new Registry() }),
        // Polling is slow on purpose: prompt delivery below proves NOTIFY (and the reconnect kick) wake the relay.
        OutboxModule.forRoot({ pollIntervalMs: 10_000, initialBackoffMs: 100, maxBackoffMs: 400 }),
      ],
    }).compile();
    await moduleRef.init();
    ds = moduleRef.get(DataSource);
    outbox = moduleRef.get(OutboxService);

    // What actually reaches the exchange, observed over a direct connection.
    raw = await amqplib.connect(vhost.url);
    const ch = await raw.createChannel();
    await ch.assertExchange('aether.events', 'topic', { durable: true });
    await ch.assertQueue('test-app.observer', { exclusive: true });
    await ch.bindQueue('test-app.observer', 'aether.events', '#');
    await ch.consume('test-app.observer', (m) => {
      if (m) wire.push({ ...JSON.parse(m.content.toString()), traceparent: m.properties.headers?.traceparent });
    }, { noAck: true });
  });

  afterAll(async () => {
    await moduleRef?.close();
    await raw?.close();
    await proxy?.down();
    await Promise.all([db?.drop(), vhost?.drop()]);
    await tracerProvider.shutdown();
    trace.disable();
    context.disable();
  });

  it('publishes committed rows exactly once, in order, promptly, with the trace context of the request; never rolled-back ones', async () => {
    await expect(
      ds.transaction(async (m) => {
        await outbox.enqueue(m, 'test-app.order.placed', { n: 'rolled-back' });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');

    const span = trace.getTracer('test').startSpan('request');
    const t0 = Date.now();
    const committed = await context.with(trace.setSpan(context.active(), span), () =>
      ds.transaction(async (m) => {
        const out: string[] = [];
        for (let n = 0; n < 20; n++) out.push((await outbox.enqueue(m, 'test-app.order.placed', { n }, { subject: 'user-1' })).id);
        return out;
      }),
    );
    span.end();
    await waitFor(() => ids('test-app.order.placed').length >= 20, { what: '20 events on the wire' });
    expect(Date.now() - t0).toBeLessThan(3000); // the 10 s poll did not have to run

    // A later event arriving proves nothing else is still on its way.
    const marker = await ds.transaction((m) => outbox.enqueue(m, 'test-app.order.marker', {}));
    await waitFor(() => ids('test-app.order.marker').includes(marker.id));

    expect(ids('test-app.order.placed')).toEqual(committed);
    expect(wire.filter((m) => m.data.n === 'rolled-back')).toHaveLength(0);
    const first = wire.find((m) => m.id === committed[0])!;
    expect(first.traceparent).toMatch(new RegExp(`^00-${span.spanContext().traceId}-`));

    const rows = await ds.getRepository(OutboxEvent).find();
    expect(rows).toHaveLength(21);
    expect(rows.every((r) => r.publishedAt !== null)).toBe(true);
    expect(rows.find((r) => r.id === committed[0])).toMatchObject({ type: 'test-app.order.placed', subject: 'user-1', attempts: 1, lastError: null });
  });

  it('keeps rows unpublished while the broker is unreachable and publishes them once it is back', async () => {
    const connection = moduleRef.get(AmqpConnection);
    await proxy.down();
    await waitFor(() => !connection.isConnected(), { what: 'disconnect' });

    const t0 = Date.now();
    await expect(moduleRef.get(EventPublisher).publish('test-app.order.placed', {})).rejects.toBeInstanceOf(MessagingUnavailableError);
    expect(Date.now() - t0).toBeLessThan(200);

    const during = await ds.transaction((m) => outbox.enqueue(m, 'test-app.order.placed', { n: 'during-outage' }));
    await sleep(800);
    expect(wire.some((m) => m.id === during.id)).toBe(false);
    expect((await ds.getRepository(OutboxEvent).findOneByOrFail({ id: during.id })).publishedAt).toBeNull();

    await proxy.up();
    await waitFor(() => wire.some((m) => m.id === during.id), { timeoutMs: 5000, what: 'event after the outage' });
    await waitFor(async () => (await ds.getRepository(OutboxEvent).findOneByOrFail({ id: during.id })).publishedAt !== null);
    expect(wire.filter((m) => m.id === during.id)).toHaveLength(1);
  });

  it('never publishes a row twice when two relays share the table', async () => {
    await moduleRef.get(OutboxRelay).stop(); // only the two relays below publish now
    const options: MessagingModuleOptions = { url: vhost.url, source: 'test-app', startupConnectTimeoutMs: 3000 };
    const replicas = await Promise.all(
      [1, 2].map(async () => {
        const connection = new AmqpConnection(options);
        await connection.onModuleInit();
        const metrics = new MessagingMetrics(new Registry());
        const dataSource = await new DataSource({ type: 'postgres', url: db.url, entities: [OutboxEvent] }).initialize();
        const relay = new OutboxRelay(dataSource, new EventPublisher(connection, options, metrics), connection, metrics, { pollIntervalMs: 20, batchSize: 5 });
        return { connection, dataSource, relay };
      }),
    );
    try {
      const created = await ds.transaction(async (m) => {
        const out: string[] = [];
        for (let n = 0; n < 150; n++) out.push((await outbox.enqueue(m, 'test-app.bulk.created', { n })).id);
        return out;
      });
      replicas.forEach((r) => r.relay.start());
      await waitFor(async () => Number((await ds.query(`SELECT count(*) AS c FROM outbox_events WHERE published_at IS NULL`))[0].c) === 0, {
        what: 'all rows published',
      });
      const marker = await ds.transaction((m) => outbox.enqueue(m, 'test-app.bulk.marker', {}));
      await waitFor(() => ids('test-app.bulk.marker').includes(marker.id));

      const published = ids('test-app.bulk.created');
      expect(published).toHaveLength(150);
      expect(new Set(published)).toEqual(new Set(created));
      const [a, b] = replicas.map((r) => r.relay.publishedCount);
      expect(a + b).toBe(151);
      expect(a).toBeGreaterThan(0);
      expect(b).toBeGreaterThan(0);
    } finally {
      for (const r of replicas) {
        await r.relay.stop();
        await r.connection.close();
        await r.dataSource.destroy();
      }
    }
  });

  it('deletes published rows after the retention period, never unpublished ones', async () => {
    const metrics = new MessagingMetrics(new Registry());
    const relay = new OutboxRelay(ds, moduleRef.get(EventPublisher), moduleRef.get(AmqpConnection), metrics, { retentionMs: 60_000 });
    await ds.query(`UPDATE outbox_events SET published_at = now() - interval '2 minutes' WHERE type = 'test-app.bulk.created'`);
    const pending = await ds.transaction((m) => outbox.enqueue(m, 'test-app.late.created', {}));
    expect(await relay.purgePublished()).toBe(150);
    const left = await ds.getRepository(OutboxEvent).find();
    expect(left.some((r) => r.type === 'test-app.bulk.created')).toBe(false);
    expect(left.some((r) => r.type === 'test-app.bulk.marker')).toBe(true); // published just now: kept
    expect(left.find((r) => r.id === pending.id)?.publishedAt).toBeNull();
  });
});
