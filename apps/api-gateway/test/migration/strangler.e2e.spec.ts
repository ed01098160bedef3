/**
 * Strangler-fig routing end to end, through real processes built into dist/ (`bash
 * scripts/build.sh` first): TWO api-gateway replicas sharing one route table (their own
 * PostgreSQL database), one Redis prefix and one RabbitMQ vhost; task-manager as the `new` side
 * of /api/v1/tasks; the legacy stand-in (tools/legacy-standin) as the monolith, in this process so
 * the test sees every request that reached it. Access tokens come from TestIdentities' JWKS.
 */
import { request as httpRequest } from 'node:http';
import { Client } from 'pg';
import {
  createTempDatabase,
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
import { startLegacyStandin, type LegacyStandin } from '../../../../tools/legacy-standin/legacy-standin';
import { connectedRedis, dropPrefix } from '../redis-helpers';

jest.setTimeout(180_000);

const identities = new TestIdentities();
const redisPrefix = `${uniqueName('gw_mig')}:`;
let gatewayDb: TempResource;
let taskDb: TempResource;
let vhost: TempResource;
let redis: Redis;
let standin: LegacyStandin;
let taskManager: StartedApp | undefined;
let gatewayA: StartedApp | undefined;
let gatewayB: StartedApp | undefined;
let admin: TestUser;
let alice: TestUser;

interface Res {
  status: number;
  headers: Record<string, string>;
  body: any;
  ms: number;
}

async function call(base: string, user: TestUser | undefined, method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res> {
  const started = performance.now();
  const res = await fetch(base + url, {
    method,
    headers: { ...(user ? user.bearer() : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: Object.fromEntries(res.headers), body: parsed, ms: performance.now() - started };
}

const A = (user: TestUser | undefined, method: string, url: string, body?: unknown, headers?: Record<string, string>) => call(gatewayA!.httpUrl, user, method, url, body, headers);
const B = (user: TestUser | undefined, method: string, url: string, body?: unknown, headers?: Record<string, string>) => call(gatewayB!.httpUrl, user, method, url, body, headers);

async function routes(via = A): Promise<{ version: number; items: any[] }> {
  const res = await via(admin, 'GET', '/api/v1/admin/routes');
  expect(res.status).toBe(200);
  return res.body;
}

async function routeFor(prefix: string, via = A): Promise<any> {
  return (await routes(via)).items.find((r) => r.prefix === prefix);
}

/** Creates (or replaces) the route of `prefix` on replica A. */
async function setRoute(prefix: string, settings: Record<string, unknown>): Promise<any> {
  const existing = await routeFor(prefix);
  const res = existing ? await A(admin, 'PUT', `/api/v1/admin/routes/${existing.id}`, settings) : await A(admin, 'POST', '/api/v1/admin/routes', { prefix, ...settings });
  expect([200, 201]).toContain(res.status);
  // Both replicas serve the new version before the test goes on.
  await waitFor(async () => (await routeFor(prefix, B))?.version === res.body.version, { timeoutMs: 2000, what: `${prefix} on replica B` });
  return res.body;
}

/** Runs `fn` over `items` with at most `n` in flight. */
async function pool<T, R>(items: T[], n: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

/** GETs a raw path (fetch would resolve dot segments first); resolves to the status. */
function rawGet(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: new URL(gatewayA!.httpUrl).port, path, method: 'GET', agent: false });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * POSTs `bytes` to the gateway, with a Content-Length or chunked; resolves to the status (0:
 * connection cut). With a Content-Length the headers go first and the body only if no answer
 * came within a second: a body announced over the limit must be refused from the headers alone,
 * and a client still sending when the gateway answers and closes is reset by the kernel and may
 * lose the answer (two CI runs under load saw status 0 that way).
 */
function rawPost(path: string, bytes: number, withLength: boolean): Promise<number> {
  return new Promise((resolve) => {
    let answered = false;
    const req = httpRequest(`${gatewayA!.httpUrl}${path}`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/octet-stream', ...(withLength ? { 'content-length': String(bytes) } : {}) },
    });
    req.on('response', (res) => {
      answered = true;
      resolve(res.statusCode ?? 0);
      res.resume();
      res.on('error', () => undefined);
      if (withLength) req.destroy();
    });
    req.on('error', () => resolve(0));
    const chunk = Buffer.alloc(64 * 1024, 'b');
    let sent = 0;
    const write = () => {
      while (sent < bytes && !answered) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', write);
      }
      if (!answered) req.end();
    };
    if (withLength) {
      req.flushHeaders();
      setTimeout(write, 1000);
    } else write();
  });
}

const standinRequests = (path: string) => standin.requests.filter((r) => r.url.split('?')[0] === path);

beforeAll(async () => {
  [gatewayDb, taskDb, vhost, redis, standin] = await Promise.all([
    createTempDatabase('gw_mig'),
    createTempDatabase('gw_mig_tasks'),
    createTempVhost('gw_mig'),
    connectedRedis(),
    startLegacyStandin(),
    identities.start(),
  ]);
  taskManager = await startApp('task-manager', {
    DATABASE_URL: taskDb.url,
    RABBITMQ_URL: vhost.url,
    AUTH_JWKS_URL: identities.jwksUrl,
    SCHEDULER_ENABLED: 'false',
  });
  const env = {
    REDIS_URL: 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: redisPrefix,
    AUTH_JWKS_URL: identities.jwksUrl,
    GRPC_DEADLINE_MS: '5000',
    TASK_MANAGER_GRPC_URL: taskManager.grpcAddress,
    LEGACY_API_URL: standin.url,
    DATABASE_URL: gatewayDb.url,
    RABBITMQ_URL: vhost.url,
    LEGACY_TIMEOUT_MS: '1500',
    SHADOW_TIMEOUT_MS: '2000',
    // The periodic reload is only the safety net: changes must arrive through LISTEN/NOTIFY.
    ROUTES_RELOAD_INTERVAL_MS: '60000',
    RATE_LIMIT_DEFAULT_POINTS: '100000',
    RATE_LIMIT_ANON_POINTS: '100000',
  };
  // Started together: seeding the empty table must happen once.
  [gatewayA, gatewayB] = await Promise.all([startApp('api-gateway', env), startApp('api-gateway', env)]);
  [admin, alice] = await Promise.all([identities.user('admin'), identities.user('developer')]);
});

afterAll(async () => {
  await Promise.allSettled([gatewayA?.stop(5000), gatewayB?.stop(5000)]);
  await taskManager?.stop(5000);
  await standin?.stop();
  if (redis) {
    await dropPrefix(redis, redisPrefix).catch(() => undefined);
    await redis.quit();
  }
  await Promise.allSettled([gatewayDb?.drop(), taskDb?.drop(), vhost?.drop(), identities.stop()]);
});

beforeEach(() => standin.reset());

describe('route table', () => {
  it('is seeded once, as the contract says: new per platform prefix, / to legacy', async () => {
    const table = await routes();
    const byPrefix = Object.fromEntries(table.items.map((r) => [r.prefix, r]));
    for (const p of ['/api/v1/auth', '/api/v1/tasks', '/api/v1/schedules', '/api/v1/users', '/api/v1/api-keys', '/api/v1/analytics', '/api/v1/audit-events']) {
      expect(byPrefix[p]).toMatchObject({ target: 'new', rolloutPercent: 100, shadow: 'off', updatedBy: null, version: 1 });
    }
    expect(byPrefix['/']).toMatchObject({ target: 'legacy', rolloutPercent: 0 });
    // The gateway's own API is never routable, so it is not in the table.
    expect(byPrefix['/api/v1/admin/routes']).toBeUndefined();
    // Two replicas started together, one seeding.
    expect(new Set(table.items.map((r) => r.prefix)).size).toBe(table.items.length);
    expect((await routes(B)).version).toBe(table.version);
    expect(table.items[0].stats).toMatchObject({ legacy: { requests: expect.any(Number) }, new: { requests: expect.any(Number) }, shadow: { compared: expect.any(Number), mismatches: expect.any(Number) } });
  });

  it('needs routes:manage', async () => {
    expect((await A(alice, 'GET', '/api/v1/admin/routes')).status).toBe(403);
    expect((await A(undefined, 'GET', '/api/v1/admin/routes')).status).toBe(401);
  });

  it('refuses a bad change with 400 and keeps the old route', async () => {
    const before = await routeFor('/api/v1/tasks');
    for (const bad of [{ target: 'sideways' }, { target: 'legacy', rolloutPercent: 101 }, { target: 'new', rolloutPercent: 30 }, { target: 'legacy', shadow: 'both' }, { target: 'legacy', ignorePaths: ['a..b'] }, { target: 'legacy', extra: 1 }]) {
      const res = await A(admin, 'PUT', `/api/v1/admin/routes/${before.id}`, bad);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.errors.length).toBeGreaterThan(0);
    }
    expect((await A(admin, 'POST', '/api/v1/admin/routes', { prefix: '/api/v1/admin/routes/x', target: 'legacy' })).status).toBe(400);
    expect((await A(admin, 'POST', '/api/v1/admin/routes', { prefix: 'no-slash', target: 'legacy' })).status).toBe(400);
    expect((await A(admin, 'POST', '/api/v1/admin/routes', { prefix: '/api/v1/tasks', target: 'legacy' })).status).toBe(409);
    expect((await A(admin, 'PUT', '/api/v1/admin/routes/00000000-0000-4000-8000-000000000000', { target: 'legacy' })).status).toBe(404);
    const after = await routeFor('/api/v1/tasks');
    expect(after).toMatchObject({ version: before.version, target: before.target, rolloutPercent: before.rolloutPercent });
    expect((await A(alice, 'GET', '/api/v1/tasks')).headers['x-aether-served-by']).toBe('new');
  });

  it('audits every change (who, when, before, after) and publishes api-gateway.route.changed through the outbox', async () => {
    const created = await setRoute('/api/v1/audit-me', { target: 'legacy' });
    await setRoute('/api/v1/audit-me', { target: 'legacy', rolloutPercent: 10 });
    expect((await A(admin, 'DELETE', `/api/v1/admin/routes/${created.id}`)).status).toBe(204);
    const db = new Client({ connectionString: gatewayDb.url });
    await db.connect();
    try {
      const audit = await db.query('SELECT change, actor_id, at, before, after FROM gateway_route_audit WHERE route_id = $1 ORDER BY table_version', [created.id]);
      expect(audit.rows.map((r) => r.change)).toEqual(['created', 'updated', 'deleted']);
      expect(audit.rows.every((r) => r.actor_id === admin.id && r.at instanceof Date)).toBe(true);
      expect(audit.rows[1].before).toMatchObject({ rolloutPercent: 0, version: 1 });
      expect(audit.rows[1].after).toMatchObject({ rolloutPercent: 10, version: 2 });
      expect(audit.rows[2].after).toBeNull();
      const events = await waitFor(
        async () => {
          const r = await db.query(`SELECT payload FROM outbox_events WHERE type = 'api-gateway.route.changed' AND payload->'data'->>'routeId' = $1 AND published_at IS NOT NULL`, [created.id]);
          return r.rows.length === 3 ? r.rows : undefined;
        },
        { timeoutMs: 10_000, what: 'route.changed events relayed' },
      );
      const changes = events.map((e) => e.payload.data.change).sort();
      expect(changes).toEqual(['created', 'deleted', 'updated']);
      expect(events.every((e) => e.payload.subject === admin.id && e.payload.source === 'api-gateway')).toBe(true);
    } finally {
      await db.end();
    }
  });
});

describe('serving by prefix', () => {
  it('serves new and legacy by longest prefix, with X-Aether-Served-By on every response', async () => {
    const tasks = await A(alice, 'GET', '/api/v1/tasks');
    expect(tasks.status).toBe(200);
    expect(tasks.headers['x-aether-served-by']).toBe('new');
    expect(tasks.headers['x-legacy-standin']).toBeUndefined();
    const chat = await A(alice, 'GET', '/api/v1/chat/messages');
    expect(chat.status).toBe(200);
    expect(chat.headers['x-aether-served-by']).toBe('legacy');
    expect(chat.headers['x-legacy-standin']).toBe('1');
    expect(standinRequests('/api/v1/tasks')).toHaveLength(0);
    // The gateway's own routes are never routed, whatever the table says.
    const health = await A(undefined, 'GET', '/healthz');
    expect(health.headers['x-aether-served-by']).toBe('new');
    expect((await A(undefined, 'GET', '/admin')).headers['content-type']).toMatch(/^text\/html/);
    // A longer prefix wins over a shorter one.
    await setRoute('/api/v1/tasks/legacy-only', { target: 'legacy' });
    expect((await A(alice, 'GET', '/api/v1/tasks/legacy-only/x')).headers['x-aether-served-by']).toBe('legacy');
    expect((await A(alice, 'GET', '/api/v1/tasks')).headers['x-aether-served-by']).toBe('new');
  });

  it('forwards the verified identity, never the client’s own identity or forwarding headers', async () => {
    const res = await A(alice, 'GET', '/api/v1/legacy/echo?x=1', undefined, {
      'x-aether-user-id': 'someone-else',
      'x-aether-roles': 'admin',
      'x-forwarded-for': '6.6.6.6',
      'x-request-id': 'req-identity-1',
    });
    expect(res.status).toBe(200);
    const seen = res.body.headers;
    expect(seen['x-aether-user-id']).toBe(alice.id);
    expect(seen['x-aether-roles']).toBe('developer');
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-request-id']).toBe('req-identity-1');
    expect(res.headers['x-request-id']).toBe('req-identity-1');
    expect(seen.authorization).toBe(`Bearer ${alice.principal.accessToken}`);
    // Anonymous: no identity at all.
    const anon = await A(undefined, 'GET', '/api/v1/legacy/echo', undefined, { 'x-aether-user-id': alice.id });
    expect(anon.body.headers['x-aether-user-id']).toBeUndefined();
    // A bad credential is refused at the gateway: the monolith never sees it.
    standin.reset();
    const bad = await A(undefined, 'GET', '/api/v1/legacy/echo', undefined, { authorization: 'Bearer not-a-jwt' });
    expect(bad.status).toBe(401);
    expect(bad.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(standin.requests).toHaveLength(0);
    // Dot segments could take a legacy route outside its prefix on the monolith: refused.
    for (const path of ['/api/v1/legacy/echo/../../x', '/api/v1/legacy/echo/%2E%2e/x']) expect(await rawGet(path)).toBe(400);
    expect(standin.requests).toHaveLength(0);
  });

  it('drops hop-by-hop headers and streams bodies both ways', async () => {
    const seen = await new Promise<any>((resolve, reject) => {
      const req = httpRequest(`${gatewayA!.httpUrl}/api/v1/legacy/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream', connection: 'keep-alive, x-drop-me', 'x-drop-me': '1', te: 'trailers', 'transfer-encoding': 'chunked' },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(text) }));
      });
      req.on('error', reject);
      // 600 KB in 60 chunks, chunked: streamed through, not buffered into a parser.
      const chunk = Buffer.alloc(10_000, 'a');
      let n = 0;
      const write = () => {
        while (n < 60) {
          n++;
          if (!req.write(chunk)) return void req.once('drain', write);
        }
        req.end();
      };
      write();
    });
    expect(seen.status).toBe(200);
    expect(seen.body.bodyBytes).toBe(600_000);
    expect(seen.body.headers['x-drop-me']).toBeUndefined();
    expect(seen.body.headers.te).toBeUndefined();
    // Over BODY_LIMIT_BYTES (1 MiB): 413, announced by Content-Length or found while streaming.
    standin.reset();
    expect(await rawPost('/api/v1/legacy/echo', 2 * 1024 * 1024, true)).toBe(413);
    expect(standin.requests).toHaveLength(0);
    expect(await rawPost('/api/v1/legacy/echo', 2 * 1024 * 1024, false)).toBe(413);
    // A large answer streams back intact.
    const docs = await A(undefined, 'GET', '/api/v1/docs');
    expect(docs.headers['x-aether-served-by']).toBe('legacy');
    const largest = docs.body.items.reduce((a: any, b: any) => (a.bytes > b.bytes ? a : b));
    const doc = await A(undefined, 'GET', `/api/v1/docs/${largest.id}`);
    expect(Buffer.byteLength(doc.body.content)).toBe(largest.bytes);
  });
});

describe('sticky rollout', () => {
  const prefix = '/api/v1/legacy/echo';
  let users: TestUser[];
  let sideAt30: string[];

  beforeAll(async () => {
    users = await Promise.all(Array.from({ length: 1000 }, () => identities.user('developer')));
  });

  afterAll(async () => {
    await setRoute(prefix, { target: 'legacy' });
  });

  it('sends about 30 % of 1,000 users to new, each always to the same side on every replica', async () => {
    await setRoute(prefix, { target: 'legacy', rolloutPercent: 30 });
    sideAt30 = await pool(users, 16, async (u, i) => (await (i % 2 ? A : B)(u, 'GET', prefix)).headers['x-aether-served-by']);
    const onNew = sideAt30.filter((s) => s === 'new').length;
    expect(onNew).toBeGreaterThan(250);
    expect(onNew).toBeLessThan(350);
    // Sticky: the same user lands on the same side again, on the other replica too.
    const again = await pool(users, 16, async (u, i) => (await (i % 2 ? B : A)(u, 'GET', prefix)).headers['x-aether-served-by']);
    expect(again).toEqual(sideAt30);
  });

  it('moves nobody from new back to legacy when raised from 30 to 60 %', async () => {
    await setRoute(prefix, { target: 'legacy', rolloutPercent: 60 });
    const at60 = await pool(users, 16, async (u, i) => (await (i % 2 ? A : B)(u, 'GET', prefix)).headers['x-aether-served-by']);
    const movedBack = users.filter((_, i) => sideAt30[i] === 'new' && at60[i] !== 'new');
    expect(movedBack).toHaveLength(0);
    const onNew = at60.filter((s) => s === 'new').length;
    expect(onNew).toBeGreaterThan(550);
    expect(onNew).toBeLessThan(650);
  });
});

describe('changes at runtime', () => {
  const prefix = '/api/v1/legacy/echo/flip';

  it('puts a PUT in force on both replicas within 1 s, and rolls back at once', async () => {
    const route = await setRoute(prefix, { target: 'legacy' });
    expect((await B(alice, 'GET', prefix)).headers['x-aether-served-by']).toBe('legacy');
    const t0 = performance.now();
    expect((await A(admin, 'PUT', `/api/v1/admin/routes/${route.id}`, { target: 'new' })).status).toBe(200);
    await Promise.all(
      [A, B].map((via) => waitFor(async () => (await via(alice, 'GET', prefix)).headers['x-aether-served-by'] === 'new', { timeoutMs: 1000, intervalMs: 10, what: 'new on every replica' })),
    );
    expect(performance.now() - t0).toBeLessThan(1000);
    // The answering replica applies its own change before it answers.
    const t1 = performance.now();
    expect((await B(admin, 'PUT', `/api/v1/admin/routes/${route.id}`, { target: 'legacy' })).status).toBe(200);
    expect((await B(alice, 'GET', prefix)).headers['x-aether-served-by']).toBe('legacy');
    await waitFor(async () => (await A(alice, 'GET', prefix)).headers['x-aether-served-by'] === 'legacy', { timeoutMs: 1000, intervalMs: 10, what: 'rollback on A' });
    expect(performance.now() - t1).toBeLessThan(1000);
    const [a, b] = await Promise.all([routes(A), routes(B)]);
    expect(a.version).toBe(b.version);
  });

  it('counts requests and errors per route and side, summed over the replicas', async () => {
    const prefixOfCounts = '/api/v1/legacy/echo/counted';
    const route = await setRoute(prefixOfCounts, { target: 'legacy' });
    await Promise.all([A, B].flatMap((via) => Array.from({ length: 5 }, () => via(alice, 'GET', prefixOfCounts))));
    const stats = await waitFor(async () => {
      const r = (await routes(B)).items.find((x) => x.id === route.id);
      return r.stats.legacy.requests === 10 ? r.stats : undefined;
    }, { timeoutMs: 5000, what: 'counters flushed' });
    expect(stats.legacy.errors).toBe(0);
    expect(stats.legacy.p50Ms).toBeGreaterThan(0);
    expect(stats.legacy.p95Ms).toBeGreaterThanOrEqual(stats.legacy.p50Ms);
    expect(stats.new.requests).toBe(0);
    const metrics = await (await fetch(`${gatewayA!.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`gateway_route_requests_total\\{[^}]*route="${prefixOfCounts}"[^}]*side="legacy"[^}]*\\} 5`));
  });
});

describe('shadow comparison', () => {
  afterEach(() => standin.reset());

  it('compares GETs with the other side and counts them; sends nothing for a POST', async () => {
    const route = await setRoute('/api/v1/tasks', { target: 'new', shadow: 'legacy' });
    const bob = await identities.user('developer');
    const first = await A(bob, 'GET', '/api/v1/tasks');
    expect(first.status).toBe(200);
    expect(first.headers['x-aether-served-by']).toBe('new');
    // Same answer on both sides (no tasks yet): compared, no mismatch.
    const matched = await waitFor(async () => {
      const s = (await routeFor('/api/v1/tasks')).stats.shadow;
      return s.compared >= 1 ? s : undefined;
    }, { timeoutMs: 5000, what: 'a comparison' });
    expect(matched.mismatches).toBe(0);
    expect(standinRequests('/api/v1/tasks').filter((r) => r.method === 'GET').length).toBeGreaterThanOrEqual(1);
    expect(standinRequests('/api/v1/tasks')[0].headers['x-aether-user-id']).toBe(bob.id);

    // A POST is served by new only: the monolith never sees it.
    standin.reset();
    const created = await A(bob, 'POST', '/api/v1/tasks', { title: 'only in new' });
    expect(created.status).toBe(201);
    await new Promise((r) => setTimeout(r, 300));
    expect(standin.requests.filter((r) => r.method !== 'GET')).toHaveLength(0);

    // Now the sides differ: a mismatch, with the pair kept.
    await B(bob, 'GET', '/api/v1/tasks');
    const sample = await waitFor(async () => {
      const m = await A(admin, 'GET', `/api/v1/admin/routes/${route.id}/mismatches`);
      return m.body.items.length ? m.body.items[0] : undefined;
    }, { timeoutMs: 5000, what: 'a mismatch sample' });
    expect(sample).toMatchObject({ method: 'GET', url: '/api/v1/tasks', served: { side: 'new', status: 200 }, shadow: { side: 'legacy', status: 200 } });
    expect(sample.differences).toContain('items.length');
    // Counters reach Redis within a second (STATS_FLUSH_MS).
    await waitFor(async () => (await routeFor('/api/v1/tasks')).stats.shadow.mismatches >= 1, { timeoutMs: 3000, what: 'the mismatch counted' });
  });

  it('learns noise by asking the serving side twice, and redacts credentials in samples', async () => {
    const prefix = '/api/v1/legacy/echo/noisy';
    const route = await setRoute(prefix, { target: 'legacy', shadow: 'new' });
    for (let i = 0; i < 3; i++) expect((await A(alice, 'GET', `${prefix}?token=secret-${i}`)).headers['x-aether-served-by']).toBe('legacy');
    const m = await waitFor(async () => {
      const r = await A(admin, 'GET', `/api/v1/admin/routes/${route.id}/mismatches`);
      return r.body.items.length >= 3 ? r.body : undefined;
    }, { timeoutMs: 5000, what: 'samples' });
    // servedAt and nonce differ between two answers of the monolith itself: noise.
    expect(m.noise).toEqual(expect.arrayContaining(['servedAt', 'nonce']));
    const text = JSON.stringify(m.items);
    expect(text).not.toContain('secret-');
    expect(text).not.toContain(alice.principal.accessToken);
    expect(m.items[0].served.body.headers.authorization).toBe('[REDACTED]');
  });

  it('leaves the client’s latency unchanged when the shadow side takes 5 s', async () => {
    await setRoute('/api/v1/tasks', { target: 'new', shadow: 'off' });
    const baseline: number[] = [];
    for (let i = 0; i < 5; i++) baseline.push((await A(alice, 'GET', '/api/v1/tasks')).ms);
    await setRoute('/api/v1/tasks', { target: 'new', shadow: 'legacy' });
    standin.setDelay('/api/v1/tasks', 5000);
    const before = (await routeFor('/api/v1/tasks')).stats.shadow;
    const shadowed: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await A(alice, 'GET', '/api/v1/tasks');
      expect(r.status).toBe(200);
      shadowed.push(r.ms);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    expect(Math.max(...shadowed)).toBeLessThan(1000);
    expect(median(shadowed)).toBeLessThan(median(baseline) + 100);
    // The slow shadow calls time out (SHADOW_TIMEOUT_MS) and are counted as failed, not compared.
    const after = await waitFor(async () => {
      const s = (await routeFor('/api/v1/tasks')).stats.shadow;
      return s.failed >= before.failed + 5 ? s : undefined;
    }, { timeoutMs: 10_000, what: 'failed shadows counted' });
    expect(after.compared).toBe(before.compared);
    await setRoute('/api/v1/tasks', { target: 'new', shadow: 'off' });
  });
});

describe('legacy failures', () => {
  it('answers 504 problem+json when the monolith is slow, without trying new', async () => {
    standin.setDelay('/api/v1/chat', 3000); // LEGACY_TIMEOUT_MS is 1500
    const res = await A(alice, 'GET', '/api/v1/chat/messages');
    expect(res.status).toBe(504);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['x-aether-served-by']).toBe('legacy');
    expect(res.body).toMatchObject({ status: 504, code: 'UPSTREAM_TIMEOUT', requestId: res.headers['x-request-id'] });
    expect(res.ms).toBeLessThan(2900);
    standin.reset();
  });

  it('answers 503 UPSTREAM_UNAVAILABLE when the monolith is down, with nothing served by new', async () => {
    await standin.stop();
    try {
      for (const via of [A, B]) {
        const res = await via(alice, 'GET', '/api/v1/chat/messages');
        expect(res.status).toBe(503);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.headers['x-aether-served-by']).toBe('legacy');
        expect(res.body).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', status: 503 });
        expect(JSON.stringify(res.body)).not.toContain('127.0.0.1');
        const write = await via(alice, 'POST', '/api/v1/chat/messages', { content: 'hi' });
        expect(write.status).toBe(503);
      }
      // new routes keep working.
      expect((await A(alice, 'GET', '/api/v1/tasks')).status).toBe(200);
    } finally {
      standin = await startLegacyStandin({ port: standin.port });
    }
  });
});
