/**
 * The route table's PostgreSQL going away and coming back (a private server the test may stop):
 * routing goes on from the cached table, the gateway stays ready, changes are 503 quickly and
 * work again once the database is back. Processes from dist/ (`bash scripts/build.sh` first).
 */
import { createTempVhost, startApp, startPrivatePostgres, TestIdentities, uniqueName, waitFor, type PrivateServer, type StartedApp, type TempResource } from '@aether/testing';
import type Redis from 'ioredis';
import { startLegacyStandin, type LegacyStandin } from '../../../../tools/legacy-standin/legacy-standin';
import { connectedRedis, dropPrefix } from '../redis-helpers';

jest.setTimeout(120_000);

const identities = new TestIdentities();
const redisPrefix = `${uniqueName('gw_mig_outage')}:`;
let pg: PrivateServer;
let vhost: TempResource;
let redis: Redis;
let standin: LegacyStandin;
let gateway: StartedApp | undefined;

beforeAll(async () => {
  [pg, vhost, redis, standin] = await Promise.all([startPrivatePostgres(), createTempVhost('gw_mig_outage'), connectedRedis(), startLegacyStandin(), identities.start()]);
  gateway = await startApp('api-gateway', {
    REDIS_URL: 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: redisPrefix,
    AUTH_JWKS_URL: identities.jwksUrl,
    LEGACY_API_URL: standin.url,
    DATABASE_URL: pg.url,
    RABBITMQ_URL: vhost.url,
    ROUTES_RELOAD_INTERVAL_MS: '500',
  });
});

afterAll(async () => {
  await gateway?.stop(5000);
  await standin?.stop();
  if (redis) {
    await dropPrefix(redis, redisPrefix).catch(() => undefined);
    await redis.quit();
  }
  await Promise.allSettled([pg?.dispose(), vhost?.drop(), identities.stop()]);
});

it('routes from the cached table while PostgreSQL is down; changes are 503 until it is back', async () => {
  const admin = await identities.user('admin');
  const call = (method: string, path: string, body?: unknown) =>
    fetch(gateway!.httpUrl + path, { method, headers: { ...admin.bearer(), ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const created = await call('POST', '/api/v1/admin/routes', { prefix: '/api/v1/chat', target: 'legacy' });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };

  await pg.stop();
  try {
    const served = await call('GET', '/api/v1/chat/messages');
    expect(served.status).toBe(200);
    expect(served.headers.get('x-aether-served-by')).toBe('legacy');
    expect((await fetch(`${gateway!.httpUrl}/readyz`)).status).toBe(200);
    const list = await call('GET', '/api/v1/admin/routes');
    expect(list.status).toBe(200);
    const t0 = performance.now();
    const change = await call('PUT', `/api/v1/admin/routes/${id}`, { target: 'new' });
    expect(change.status).toBe(503);
    expect(((await change.json()) as { code: string }).code).toBe('UPSTREAM_UNAVAILABLE');
    expect(performance.now() - t0).toBeLessThan(3000);
    // The old route stays.
    expect((await call('GET', '/api/v1/chat/messages')).headers.get('x-aether-served-by')).toBe('legacy');
  } finally {
    await pg.start();
  }
  await waitFor(async () => (await call('PUT', `/api/v1/admin/routes/${id}`, { target: 'new' })).status === 200, { timeoutMs: 20_000, intervalMs: 250, what: 'a change after the database came back' });
  expect((await call('GET', '/api/v1/chat/messages')).headers.get('x-aether-served-by')).toBe('new');
});
