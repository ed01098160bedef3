import { createTempVhost, freePort, TempResource, waitFor } from '@aether/testing';
import { Injectable, Module } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { context, trace } from '@opentelemetry/api';
import { node } from '@opentelemetry/sdk-node';
import * as amqplib from 'amqplib';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import {
  AmqpReadiness,
  CloudEvent,
  ConsumeContext,
  EventConsumer,
  EventConsumerRegistry,
  EventHandler,
  EventPublisher,
  MessagingModule,
  MessagingUnavailableError,
  RedisIdempotencyStore,
} from '../src';
import { counterValue, drain, prefixedRedis, sleep } from './support/fixtures';

// Stands in for an app's validated env module (forRootAsync reads the URL from it).
const ENV = Symbol('ENV');
@Module({ providers: [{ provide: ENV, useValue: {} }], exports: [ENV] })
class EnvModule {}

const roundTrips: Array<{ event: CloudEvent<unknown>; ctx: ConsumeContext; traceId?: string }> = [];

@EventConsumer({ queue: 'test-app.roundtrip', patterns: ['test-app.thing.*'] })
@Injectable()
class RoundTripHandler implements EventHandler {
  async handle(event: CloudEvent<unknown>, ctx: ConsumeContext): Promise<void> {
    roundTrips.push({ event, ctx, traceId: trace.getSpanContext(context.active())?.traceId });
  }
}

describe('@aether/messaging with RabbitMQ and Redis', () => {
  let vhost: TempResource;
  let redis: Redis;
  let cleanupRedis: () => Promise<void>;
  let moduleRef: TestingModule;
  let publisher: EventPublisher;
  let consumers: EventConsumerRegistry;
  let registry: Registry;
  let raw: amqplib.ChannelModel;
  let ch: amqplib.Channel;
  const tracerProvider = new node.NodeTracerProvider();

  beforeAll(async () => {
    tracerProvider.register(); // W3C propagator + AsyncLocalStorage context, as the service kit's SDK sets up
    vhost = await createTempVhost('messaging');
    ({ redis, cleanup: cleanupRedis } = prefixedRedis());
    registry = new Registry();
    moduleRef = await Test.createTestingModule({
      imports: [
        MessagingModule.forRoot({
          url: vhost.url,
          source: 'test-app',
          metricsRegistry: registry,
          idempotency: new RedisIdempotencyStore(redis, { lockTtlMs: 5000 }),
        }),
      ],
      providers: [RoundTripHandler],
    }).compile();
    await moduleRef.init();
    publisher = moduleRef.get(EventPublisher);
    consumers = moduleRef.get(EventConsumerRegistry);
    raw = await amqplib.connect(vhost.url);
    ch = await raw.createChannel();
  });

  afterAll(async () => {
    await moduleRef?.close();
    await raw?.close();
    await cleanupRedis?.();
    await vhost?.drop();
    await tracerProvider.shutdown();
    trace.disable();
    context.disable();
  });

  it('delivers a published event as a CloudEvent with trace context to a decorated consumer', async () => {
    await consumers.get('test-app.roundtrip')!.ready();
    const span = trace.getTracer('test').startSpan('incoming request');
    const published = await context.with(trace.setSpan(context.active(), span), () =>
      publisher.publish('test-app.thing.created', { n: 1 }, { subject: 'user-7' }),
    );
    span.end();

    const got = (await waitFor(() => roundTrips.find((r) => r.event.id === published.id), { what: 'round trip' }))!;
    expect(got.event).toMatchObject({
      specversion: '1.0',
      source: 'test-app',
      type: 'test-app.thing.created',
      subject: 'user-7',
      datacontenttype: 'application/json',
      data: { n: 1 },
    });
    expect(Date.parse(got.event.time!)).toBeGreaterThan(Date.now() - 10_000);
    const traceId = span.spanContext().traceId;
    expect(got.ctx.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(got.event.traceparent).toBe(got.ctx.headers.traceparent);
    expect(got.traceId).toBe(traceId); // the handler ran inside the producer's trace
    expect(got.ctx).toMatchObject({ queue: 'test-app.roundtrip', attempt: 1, routingKey: 'test-app.thing.created' });
  });

  it('resolves publish only after the broker confirmed a persistent message', async () => {
    await ch.assertQueue('test-app.confirm-probe', { durable: true });
    await ch.bindQueue('test-app.confirm-probe', 'aether.events', 'test-app.confirm.*');
    const event = await publisher.publish('test-app.confirm.sent', { ok: true });
    expect((await ch.checkQueue('test-app.confirm-probe')).messageCount).toBe(1);
    const [msg] = await drain(ch, 'test-app.confirm-probe');
    expect(msg.properties).toMatchObject({ deliveryMode: 2, contentType: 'application/cloudevents+json', messageId: event.id, type: 'test-app.confirm.sent' });
    expect(JSON.parse(msg.content.toString())).toMatchObject({ id: event.id, data: { ok: true } });
  });

  it('retries a failing handler with delays, dead-letters it after maxAttempts, and keeps later messages flowing', async () => {
    const attempts: Array<{ attempt: number; at: number }> = [];
    const good: number[] = [];
    const consumer = consumers.register<{ fail: boolean }>(
      { queue: 'test-app.flaky', patterns: ['test-app.flaky.*'], retry: { delaysMs: [300, 600], maxAttempts: 3 } },
      async (event, ctx) => {
        if (!event.data!.fail) {
          good.push(Date.now());
          return;
        }
        attempts.push({ attempt: ctx.attempt, at: Date.now() });
        throw new Error(`boom on attempt ${ctx.attempt}`);
      },
    );
    await consumer.ready();
    const bad = await publisher.publish('test-app.flaky.happened', { fail: true });
    await publisher.publish('test-app.flaky.happened', { fail: false });

    const [dead] = (await waitFor(async () => {
      const m = await drain(ch, 'test-app.flaky.dlq');
      return m.length ? m : undefined;
    }, { timeoutMs: 8000, what: 'dead letter' }))!;

    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    const gap1 = attempts[1].at - attempts[0].at;
    const gap2 = attempts[2].at - attempts[1].at;
    expect(gap1).toBeGreaterThanOrEqual(250);
    expect(gap2).toBeGreaterThanOrEqual(550);
    expect(gap1).toBeLessThan(3000);
    expect(gap2).toBeLessThan(3000);
    expect(good).toHaveLength(1);
    expect(good[0]).toBeLessThan(attempts[1].at); // not blocked behind the failing message

    expect(JSON.parse(dead.content.toString()).id).toBe(bad.id);
    expect(dead.properties.headers).toMatchObject({
      'x-attempt': 3,
      'x-dead-letter-reason': 'max-attempts',
      'x-original-routing-key': 'test-app.flaky.happened',
    });
    expect(String(dead.properties.headers!['x-last-error'])).toContain('boom on attempt 3');

    // Nothing left circulating: no retry copy, nothing in the main queue.
    await sleep(700);
    expect(attempts).toHaveLength(3);
    for (const q of ['test-app.flaky', 'test-app.flaky.retry.300ms', 'test-app.flaky.retry.600ms']) {
      expect((await ch.checkQueue(q)).messageCount).toBe(0);
    }
    expect(await counterValue(registry, 'messaging_messages_dead_lettered_total', { queue: 'test-app.flaky', reason: 'max-attempts' })).toBe(1);
    expect(await counterValue(registry, 'messaging_handler_failures_total', { queue: 'test-app.flaky' })).toBe(3);
  });

  it('sends a poison message to the DLQ at once, without calling the handler', async () => {
    const handled: unknown[] = [];
    const consumer = consumers.register(
      { queue: 'test-app.poison', patterns: ['test-app.poison.*'], retry: { delaysMs: [10_000], maxAttempts: 5 } },
      async (e) => void handled.push(e),
    );
    await consumer.ready();
    ch.publish('aether.events', 'test-app.poison.raw', Buffer.from('{not json'));
    ch.publish('aether.events', 'test-app.poison.raw', Buffer.from(JSON.stringify({ hello: 'world' })));
    const dead = (await waitFor(async () => {
      const q = await ch.checkQueue('test-app.poison.dlq');
      return q.messageCount === 2 ? drain(ch, 'test-app.poison.dlq') : undefined;
    }, { timeoutMs: 3000, what: 'poison in DLQ' }))!;
    expect(dead.map((m) => m.content.toString()).sort()).toEqual(['{"hello":"world"}', '{not json']);
    for (const m of dead) {
      expect(m.properties.headers).toMatchObject({ 'x-dead-letter-reason': 'poison', 'x-attempt': 1 });
      expect(String(m.properties.headers!['x-last-error'])).toMatch(/InvalidEventError/);
    }
    expect(handled).toHaveLength(0);
    expect((await ch.checkQueue('test-app.poison.retry.10000ms')).messageCount).toBe(0);
  });

  it('handles an event id once, also when the duplicates arrive concurrently', async () => {
    const handled: string[] = [];
    const consumer = consumers.register<{ slow: boolean }>(
      { queue: 'test-app.dedupe', patterns: ['test-app.dedupe.*'], prefetch: 5, retry: { delaysMs: [200], maxAttempts: 3 } },
      async (e) => {
        if (e.data!.slow) await sleep(300);
        handled.push(e.id);
      },
    );
    await consumer.ready();
    const sequential = randomUUID();
    await publisher.publish('test-app.dedupe.done', { slow: false }, { id: sequential });
    await waitFor(() => handled.includes(sequential));
    await publisher.publish('test-app.dedupe.done', { slow: false }, { id: sequential });

    const concurrent = randomUUID();
    await Promise.all([
      publisher.publish('test-app.dedupe.done', { slow: true }, { id: concurrent }),
      publisher.publish('test-app.dedupe.done', { slow: true }, { id: concurrent }),
    ]);
    await waitFor(() => counterValue(registry, 'messaging_messages_consumed_total', { queue: 'test-app.dedupe', outcome: 'duplicate' }).then((n) => n === 2), {
      what: 'both duplicates acked',
    });
    expect(handled.filter((id) => id === sequential)).toHaveLength(1);
    expect(handled.filter((id) => id === concurrent)).toHaveLength(1);
    // The concurrent copy found the first one in progress and was deferred (maybe more than once).
    expect(await counterValue(registry, 'messaging_messages_consumed_total', { queue: 'test-app.dedupe', outcome: 'deferred' })).toBeGreaterThanOrEqual(1);
    expect(await redis.exists(`test-app.dedupe:processed:${concurrent}`)).toBe(1);
  });

  it('lets a consumer opt out of deduplication', async () => {
    const handled: string[] = [];
    const consumer = consumers.register({ queue: 'test-app.own-dedupe', patterns: ['test-app.owndedupe.*'], deduplicate: false }, async (e) => {
      handled.push(e.id);
    });
    await consumer.ready();
    const id = randomUUID();
    await publisher.publish('test-app.owndedupe.done', {}, { id });
    await publisher.publish('test-app.owndedupe.done', {}, { id });
    await waitFor(() => handled.length === 2);
    expect(handled).toEqual([id, id]);
  });

  it('stops gracefully: no new deliveries, waits for the running handler, which still acks', async () => {
    let started = 0;
    let finished = 0;
    const consumer = consumers.register({ queue: 'test-app.slow', patterns: ['test-app.slow.*'] }, async () => {
      started++;
      await sleep(400);
      finished++;
    });
    await consumer.ready();
    await publisher.publish('test-app.slow.done', {});
    await waitFor(() => started === 1);
    await consumer.stop();
    expect(finished).toBe(1);
    await publisher.publish('test-app.slow.done', {});
    await sleep(100);
    expect(started).toBe(1);
    expect((await ch.checkQueue('test-app.slow')).messageCount).toBe(1); // first acked, second waiting
  });

  it('rejects publishing quickly and reports unready when the broker is unreachable', async () => {
    const port = await freePort(); // nothing listens there
    const dead = await Test.createTestingModule({
      imports: [
        MessagingModule.forRootAsync({
          inject: [ENV],
          imports: [EnvModule],
          useFactory: (env: { RABBITMQ_URL: string }) => ({ url: env.RABBITMQ_URL, source: 'test-app', startupConnectTimeoutMs: 0, metricsRegistry: new Registry() }),
        }),
      ],
    })
      .overrideProvider(ENV)
      .useValue({ RABBITMQ_URL: `amqp://guest:guest@127.0.0.1:${port}` })
      .compile();
    await dead.init();
    try {
      const t0 = Date.now();
      await expect(dead.get(EventPublisher).publish('test-app.thing.created', {})).rejects.toBeInstanceOf(MessagingUnavailableError);
      expect(Date.now() - t0).toBeLessThan(500);
      await expect(dead.get(AmqpReadiness).check()).rejects.toThrow(/not connected/);
    } finally {
      await dead.close();
    }
    await expect(moduleRef.get(AmqpReadiness).check()).resolves.toBeUndefined();
  });
});
