/**
 * GET /api/v1/analytics/* end to end through real processes: `analytics` and `api-gateway` from
 * dist/ (run `npm run build` first), with their own FerretDB database, RabbitMQ vhost and Redis
 * key prefix. The events are published on `aether.events` like any producer would, so the whole
 * path (consumer → storage → gRPC queries → REST, auth, validation, problem+json) is exercised.
 * Both services verify access tokens against the JWKS of TestIdentities (AUTH_JWKS_URL).
 */
import * as amqp from 'amqplib';
import {
  createTempMongoDatabase,
  createTempVhost,
  startApp,
  TestIdentities,
  uniqueName,
  waitFor,
  type StartedApp,
  type TempResource,
  type TestUser,
} from '@aether/testing';
import type Redis from 'ioredis';
import { connectedRedis, dropPrefix } from './redis-helpers';

jest.setTimeout(120_000);

const identities = new TestIdentities();
const redisPrefix = `${uniqueName('gw_analytics')}:`;
let mongo: TempResource;
let vhost: TempResource;
let redis: Redis;
let analytics: StartedApp | undefined;
let gateway: StartedApp | undefined;
let base: string;
let dev: TestUser;
let dev2: TestUser;
let admin: TestUser;
const hourAgo = new Date(Date.now() - 3_600_000);

/** Publishes CloudEvents JSON on aether.events with publisher confirms, once the analytics queue has its consumer. */
async function publish(url: string, events: Array<{ id: string; type: string; subject: string; data: unknown }>): Promise<void> {
  const conn = await amqp.connect(url);
  try {
    await waitFor(
      async () => {
        const probe = await conn.createChannel(); // checkQueue closes the channel when the queue is missing
        const q = await probe.checkQueue('analytics.events').catch(() => undefined);
        if (q) await probe.close();
        return (q?.consumerCount ?? 0) > 0;
      },
      { timeoutMs: 30_000, what: 'the analytics.events consumer' },
    );
    const ch = await conn.createConfirmChannel();
    for (const e of events) {
      const body = { specversion: '1.0', source: e.type.split('.')[0], time: hourAgo.toISOString(), datacontenttype: 'application/json', ...e };
      ch.publish('aether.events', e.type, Buffer.from(JSON.stringify(body)), { persistent: true, contentType: 'application/cloudevents+json' });
    }
    await ch.waitForConfirms();
  } finally {
    await conn.close();
  }
}

beforeAll(async () => {
  [mongo, vhost, redis] = await Promise.all([createTempMongoDatabase('gw_analytics'), createTempVhost('gw_analytics'), connectedRedis(), identities.start()]);
  analytics = await startApp('analytics', {
    MONGODB_URL: mongo.url,
    RABBITMQ_URL: vhost.url,
    AUTH_JWKS_URL: identities.jwksUrl,
    // Not UTC on purpose: timestamps must mean the same whatever zone the server runs in.
    TZ: 'America/New_York',
  });
  gateway = await startApp('api-gateway', {
    REDIS_URL: 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: redisPrefix,
    AUTH_JWKS_URL: identities.jwksUrl,
    GRPC_DEADLINE_MS: '5000',
    ANALYTICS_GRPC_URL: analytics.grpcAddress,
  });
  base = `${gateway.httpUrl}/api/v1/analytics`;
  [dev, dev2, admin] = await Promise.all([identities.user('developer'), identities.user('developer'), identities.user('admin')]);
  await publish(vhost.url, [
    { id: uniqueName('g1'), type: 'task-manager.task.created', subject: dev.id, data: { id: 't1' } },
    { id: uniqueName('g2'), type: 'ai-gateway.completion.completed', subject: dev.id, data: { usage: { promptTokens: 7, completionTokens: 3, costUsd: 0.25 } } },
    { id: uniqueName('g3'), type: 'task-manager.task.created', subject: dev2.id, data: { id: 't2' } },
  ]);
  await waitFor(async () => (await get('/summary', admin)).json?.totals?.events === 3, { timeoutMs: 30_000, what: '3 events stored' });
});

afterAll(async () => {
  await gateway?.stop(5000);
  await analytics?.stop(5000);
  if (redis) {
    await dropPrefix(redis, redisPrefix).catch(() => undefined);
    await redis.quit();
  }
  await Promise.allSettled([mongo?.drop(), vhost?.drop(), identities.stop()]);
});

async function get(path: string, user?: TestUser) {
  const res = await fetch(base + path, { headers: user ? user.bearer() : {} });
  return { status: res.status, type: res.headers.get('content-type') ?? '', json: (await res.json()) as any };
}

describe('/api/v1/analytics', () => {
  it('answers the summary with numbers, for the caller only', async () => {
    const res = await get('/summary', dev);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      totals: { events: 2 },
      byType: { 'task-manager.task.created': 1, 'ai-gateway.completion.completed': 1 },
      tasks: { created: 1, completed: 0, overdue: 0 },
      ai: { requests: 1, promptTokens: 7, completionTokens: 3, costUsd: 0.25 },
    });
    expect(Date.parse(res.json.to) - Date.parse(res.json.from)).toBe(24 * 3_600_000);
    expect((await get(`/summary?userId=${dev2.id}`, admin)).json.totals.events).toBe(1);
  });

  it('answers a time series with zero-filled buckets', async () => {
    const from = new Date(Math.floor(hourAgo.getTime() / 3_600_000) * 3_600_000 - 3_600_000).toISOString();
    const res = await get(`/timeseries?type=task-manager.task.created&interval=hour&from=${from}&to=${new Date().toISOString()}`, admin);
    expect(res.status).toBe(200);
    expect(res.json.interval).toBe('hour');
    expect(res.json.points[0]).toEqual({ t: from, count: 0 });
    expect(res.json.points.reduce((n: number, p: { count: number }) => n + p.count, 0)).toBe(2);
  });

  it('reads timestamps without an offset as UTC, whatever the server’s zone', async () => {
    const from = hourAgo.toISOString().slice(0, 19); // e.g. 2026-01-01T12:00:00, no "Z"
    const res = await get(`/summary?from=${from}&to=${new Date(hourAgo.getTime() + 1000).toISOString().slice(0, 19)}`, admin);
    expect(res.status).toBe(200);
    expect(res.json.from).toBe(`${from}.000Z`);
    expect(res.json.totals.events).toBe(3);
  });

  it('lists raw events for admins, newest first with a cursor', async () => {
    const page = await get('/events?limit=2', admin);
    expect(page.status).toBe(200);
    expect(page.json.items).toHaveLength(2);
    expect(page.json.items[0]).toMatchObject({ type: expect.any(String), time: hourAgo.toISOString() });
    const next = await get(`/events?limit=2&cursor=${encodeURIComponent(page.json.nextCursor)}`, admin);
    expect(next.json).toMatchObject({ nextCursor: null });
    expect(next.json.items).toHaveLength(1);
  });

  it('maps bad queries to 400 and forbidden ones to 403 problem+json, no token to 401', async () => {
    for (const path of ['/timeseries?type=x.y.z&interval=week', '/summary?userId=not-a-user-id', '/timeseries?interval=hour', '/summary?from=yesterday', '/summary?from=2025-01-02T00:00:00Z&to=2025-01-01T00:00:00Z', '/events?limit=500']) {
      const res = await get(path, admin);
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect(res.type).toContain('application/problem+json');
    }
    const other = await get(`/summary?userId=${dev2.id}`, dev);
    expect(other.status).toBe(403);
    expect(other.type).toContain('application/problem+json');
    expect((await get('/events', dev)).status).toBe(403);
    expect((await get('/summary')).status).toBe(401);
  });
});
