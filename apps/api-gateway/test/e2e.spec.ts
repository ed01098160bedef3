import { createHash, generateKeyPairSync } from 'node:crypto';
import {
  createTempDatabase,
  createTempVhost,
  freePort,
  startServiceProcess,
  uniqueName,
  waitFor,
  type ServiceProcess,
  type TempResource,
} from '@aether/testing';
import type Redis from 'ioredis';
import { connectedRedis, dropPrefix } from './redis-helpers';

/**
 * End to end through real processes: `security` and `api-gateway` from dist/ (run `npm run build`
 * first), with their own PostgreSQL database, RabbitMQ vhost and Redis key prefix.
 * One walk, in order: each step uses what the previous ones created.
 */
jest.setTimeout(120_000);

const ADMIN = { email: 'admin@e2e.example.com', password: 'admin password 123' };
const DEV = { email: 'Dev.Eloper@E2E.example.com', password: 'developer password 1', name: 'Dev Eloper' };
const AUTH_POINTS = 6;

describe('api-gateway end to end (real security service)', () => {
  let database: TempResource;
  let vhost: TempResource;
  let redis: Redis;
  const redisPrefix = `${uniqueName('gw_e2e')}:`;
  let security: ServiceProcess | undefined;
  let gateway: ServiceProcess | undefined;
  let securityEnv: Record<string, string>;
  let securityReady: string;
  let base: string;

  // Shared by the steps of the walk.
  let devAccess = '';
  let devRefresh = '';
  let apiKey = '';
  let apiKeyId = '';
  let adminAccess = '';
  let devId = '';
  let authRequests = 0; // login/register calls so far (they share the strict per-IP budget)

  beforeAll(async () => {
    [database, vhost, redis] = await Promise.all([createTempDatabase('gw_e2e'), createTempVhost('gw_e2e'), connectedRedis()]);
    const [grpcPort, securityHttp, gatewayHttp] = [await freePort(), await freePort(), await freePort()];
    // A fixed signing key, so tokens stay valid across the security restart below.
    const pem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    securityEnv = {
      GRPC_PORT: String(grpcPort),
      HTTP_PORT: String(securityHttp),
      BIND_HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      RABBITMQ_URL: vhost.url,
      JWT_PRIVATE_KEY: pem,
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      // Short, so the walk can step past it: within it a spent token repeats its answer.
      REFRESH_REUSE_INTERVAL_SECONDS: '1',
    };
    securityReady = `http://127.0.0.1:${securityHttp}/readyz`;
    security = await startServiceProcess({ app: 'security', env: securityEnv, readyUrl: securityReady, timeoutMs: 40_000 });
    gateway = await startServiceProcess({
      app: 'api-gateway',
      env: {
        HTTP_PORT: String(gatewayHttp),
        BIND_HOST: '127.0.0.1',
        REDIS_URL: 'redis://127.0.0.1:6379',
        REDIS_KEY_PREFIX: redisPrefix,
        SECURITY_GRPC_URL: `127.0.0.1:${grpcPort}`,
        AUTH_JWKS_URL: `http://127.0.0.1:${securityHttp}/.well-known/jwks.json`,
        GRPC_DEADLINE_MS: '1000',
        RATE_LIMIT_AUTH_POINTS: String(AUTH_POINTS),
        RATE_LIMIT_AUTH_WINDOW_SECONDS: '300',
      },
      readyUrl: `http://127.0.0.1:${gatewayHttp}/readyz`,
      timeoutMs: 30_000,
    });
    base = `http://127.0.0.1:${gatewayHttp}`;
  });

  afterAll(async () => {
    await gateway?.stop(5000);
    await security?.stop(5000);
    await dropPrefix(redis, redisPrefix).catch(() => undefined);
    await redis?.quit();
    await database?.drop();
    await vhost?.drop();
  });

  async function call(method: string, path: string, opts: { body?: unknown; raw?: string; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { ...opts.headers };
    let body: string | undefined = opts.raw;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    if (path === '/api/v1/auth/login' || path === '/api/v1/auth/register') authRequests++;
    const res = await fetch(base + path, { method, headers, body });
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, json, text };
  }
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  function expectProblem(res: Awaited<ReturnType<typeof call>>, status: number, code?: string) {
    expect({ status: res.status, body: res.json }).toMatchObject({ status, body: { status, ...(code ? { code } : {}) } });
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.json.requestId).toBe(res.headers.get('x-request-id'));
  }

  /** Every idempotency record the gateway wrote, names and values, as one string. */
  async function idempotencyRecords(): Promise<string> {
    const names = await redis.keys(`${redisPrefix}idem:*`);
    const values = await Promise.all(names.map((n) => redis.get(n)));
    return names.map((n, i) => `${n} ${values[i]}`).join('\n');
  }

  it('registers a developer (201, role developer, email case-insensitive)', async () => {
    const res = await call('POST', '/api/v1/auth/register', { body: DEV, headers: { 'idempotency-key': uniqueName('reg') } });
    expect(res.status).toBe(201);
    devId = res.json.id;
    // The stored record of an idempotent register reveals neither the password nor the body.
    const stored = await idempotencyRecords();
    expect(stored).toContain('"done"');
    const bodyHashes = [JSON.stringify(DEV), JSON.stringify({ email: DEV.email, name: DEV.name, password: DEV.password })].map((b) =>
      createHash('sha256').update(b).digest('hex'),
    );
    for (const secret of [DEV.password, DEV.email, DEV.email.toLowerCase(), devId, ...bodyHashes]) expect(stored).not.toContain(secret);
    expect(res.json).toMatchObject({ id: expect.any(String), name: DEV.name, roles: ['developer'], createdAt: expect.any(String) });
    expect(res.json.email.toLowerCase()).toBe(DEV.email.toLowerCase());
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });

  it('logs in and reads /me', async () => {
    const login = await call('POST', '/api/v1/auth/login', { body: { email: DEV.email.toLowerCase(), password: DEV.password } });
    expect(login.status).toBe(200);
    expect(login.json).toMatchObject({ tokenType: 'Bearer', expiresIn: expect.any(Number) });
    devAccess = login.json.accessToken;
    devRefresh = login.json.refreshToken;
    const me = await call('GET', '/api/v1/auth/me', { headers: bearer(devAccess) });
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({ name: DEV.name, roles: ['developer'], permissions: expect.arrayContaining(['tasks:read']) });
  });

  it('rotates refresh tokens and revokes the family when a spent one comes back', async () => {
    // Parallel refreshes of one token (two tabs) all succeed with the same new refresh token.
    const parallel = await Promise.all(Array.from({ length: 4 }, () => call('POST', '/api/v1/auth/refresh', { body: { refreshToken: devRefresh } })));
    expect(parallel.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(new Set(parallel.map((r) => r.json.refreshToken)).size).toBe(1);
    const first = parallel[0];
    const rotated = first.json.refreshToken as string;
    expect(rotated).not.toBe(devRefresh);
    expect((await call('GET', '/api/v1/auth/me', { headers: bearer(first.json.accessToken) })).status).toBe(200);

    // After the reuse interval (1 s here), the spent token is a replay.
    await new Promise((r) => setTimeout(r, 1100));

    expectProblem(await call('POST', '/api/v1/auth/refresh', { body: { refreshToken: devRefresh } }), 401, 'TOKEN_REUSED');
    // The new token of that family is dead too.
    expectProblem(await call('POST', '/api/v1/auth/refresh', { body: { refreshToken: rotated } }), 401);

    const again = await call('POST', '/api/v1/auth/login', { body: { email: DEV.email, password: DEV.password } });
    expect(again.status).toBe(200);
    devAccess = again.json.accessToken;
  });

  it('creates an API key (idempotently), uses it in both header forms, revokes it', async () => {
    const headers = { ...bearer(devAccess), 'idempotency-key': uniqueName('key') };
    const created = await call('POST', '/api/v1/api-keys', { body: { name: 'e2e key' }, headers });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ id: expect.any(String), name: 'e2e key', key: expect.stringMatching(/^ak_/) });
    apiKey = created.json.key;
    apiKeyId = created.json.id;
    const replay = await call('POST', '/api/v1/api-keys', { body: { name: 'e2e key' }, headers });
    expect(replay.json).toEqual(created.json);
    // Redis holds the replayable answer only in a form the Idempotency-Key is needed to read.
    const stored = await idempotencyRecords();
    expect(stored).not.toContain(apiKey);
    expect(stored).not.toContain(apiKey.slice(3));
    expect(stored).not.toContain(apiKeyId);

    const list = await call('GET', '/api/v1/api-keys', { headers: bearer(devAccess) });
    expect(list.status).toBe(200);
    expect(list.json.items.map((k: { id: string }) => k.id)).toEqual([apiKeyId]); // the replay created nothing
    expect(list.json.nextCursor).toBeNull();
    expect(list.text).not.toContain(apiKey);

    const viaHeader = await call('GET', '/api/v1/auth/me', { headers: { 'x-api-key': apiKey } });
    expect(viaHeader.status).toBe(200);
    expect(viaHeader.json.name).toBe(DEV.name);
    expect((await call('GET', '/api/v1/auth/me', { headers: bearer(apiKey) })).status).toBe(200);

    expect((await call('DELETE', `/api/v1/api-keys/${apiKeyId}`, { headers: bearer(devAccess) })).status).toBe(204);
    const revoked = await call('GET', '/api/v1/auth/me', { headers: { 'x-api-key': apiKey } });
    expectProblem(revoked, 401);
    expect(revoked.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expectProblem(await call('DELETE', `/api/v1/api-keys/${apiKeyId}`, { headers: bearer(devAccess) }), 404, 'NOT_FOUND');
  });

  it('never lets an API key mint a key wider than itself', async () => {
    const parent = await call('POST', '/api/v1/api-keys', { body: { name: 'narrow', scopes: ['apikeys:manage'] }, headers: bearer(devAccess) });
    expect(parent.status).toBe(201);
    const child = await call('POST', '/api/v1/api-keys', { body: { name: 'child' }, headers: { 'x-api-key': parent.json.key } });
    expect(child.status).toBe(201);
    expect(child.json.scopes).toEqual(['apikeys:manage']);
    const me = await call('GET', '/api/v1/auth/me', { headers: { 'x-api-key': child.json.key } });
    expect(me.json.permissions).toEqual(['apikeys:manage']);
    expectProblem(await call('POST', '/api/v1/api-keys', { body: { name: 'x', scopes: ['tasks:write'] }, headers: { 'x-api-key': parent.json.key } }), 400, 'VALIDATION_FAILED');
    for (const id of [child.json.id, parent.json.id]) {
      expect((await call('DELETE', `/api/v1/api-keys/${id}`, { headers: bearer(devAccess) })).status).toBe(204);
    }
  });

  it('enforces RBAC: 403 for a developer, 200 for the bootstrapped admin', async () => {
    expectProblem(await call('GET', '/api/v1/users', { headers: bearer(devAccess) }), 403);
    const login = await call('POST', '/api/v1/auth/login', { body: ADMIN });
    expect(login.status).toBe(200);
    adminAccess = login.json.accessToken;
    const users = await call('GET', '/api/v1/users?limit=10', { headers: bearer(adminAccess) });
    expect(users.status).toBe(200);
    expect(users.json.items.map((u: { email: string }) => u.email.toLowerCase())).toEqual(
      expect.arrayContaining([ADMIN.email, DEV.email.toLowerCase()]),
    );
    const audit = await call('GET', '/api/v1/audit-events', { headers: bearer(adminAccess) });
    expect(audit.status).toBe(200);
    expect(audit.json.items.length).toBeGreaterThan(0);
    // The gateway tells security who the client was, also for calls that carry no IP field.
    for (const type of ['apikey.created', 'apikey.revoked']) {
      const events = await call('GET', `/api/v1/audit-events?type=${type}`, { headers: bearer(adminAccess) });
      const mine = events.json.items.find((e: { subjectId: string }) => e.subjectId === devId);
      expect(mine).toMatchObject({ type, ip: '127.0.0.1', details: { userAgent: 'node' } });
    }
    expectProblem(await call('GET', '/api/v1/audit-events', { headers: bearer(devAccess) }), 403);
  });

  it('keeps every user with a role and the last admin an admin (400 roles, 409 LAST_ADMIN)', async () => {
    const empty = await call('PUT', `/api/v1/users/${devId}/roles`, { body: { roles: [] }, headers: bearer(adminAccess) });
    expectProblem(empty, 400, 'VALIDATION_FAILED');
    expect(empty.json.errors).toEqual([{ field: 'roles', message: expect.any(String) }]);
    const me = await call('GET', '/api/v1/auth/me', { headers: bearer(adminAccess) });
    const demote = await call('PUT', `/api/v1/users/${me.json.id}/roles`, { body: { roles: ['developer'] }, headers: bearer(adminAccess) });
    expectProblem(demote, 409, 'LAST_ADMIN');
    const users = await call('GET', '/api/v1/users?limit=10', { headers: bearer(adminAccess) });
    const byId = new Map(users.json.items.map((u: { id: string; roles: string[] }) => [u.id, u.roles]));
    expect(byId.get(me.json.id)).toEqual(['admin']);
    expect(byId.get(devId)).toEqual(['developer']);
  });

  it('answers bad input with problem+json: malformed JSON 400, unknown field 400, 2 MiB 413', async () => {
    const h = { ...bearer(devAccess), 'content-type': 'application/json' };
    expectProblem(await call('POST', '/api/v1/api-keys', { raw: '{"name": ', headers: h }), 400, 'MALFORMED_JSON');
    const unknown = await call('POST', '/api/v1/api-keys', { body: { name: 'k', owner: 'someone-else' }, headers: h });
    expectProblem(unknown, 400, 'VALIDATION_FAILED');
    expect(unknown.json.errors).toEqual([{ field: 'owner', message: expect.any(String) }]);
    const huge = await call('POST', '/api/v1/api-keys', { body: { name: 'x'.repeat(2 * 1024 * 1024) }, headers: h });
    expectProblem(huge, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('answers 503 within a second while security is down, stays healthy, and recovers without a restart', async () => {
    await security!.stop(5000);
    const started = Date.now();
    const down = await call('GET', '/api/v1/auth/me', { headers: bearer(devAccess) });
    const elapsed = Date.now() - started;
    expectProblem(down, 503, 'UPSTREAM_UNAVAILABLE');
    expect(elapsed).toBeLessThan(1000);
    expect((await call('GET', '/healthz')).status).toBe(200);
    expect((await call('GET', '/readyz')).status).toBe(200);

    security = await startServiceProcess({ app: 'security', env: securityEnv, readyUrl: securityReady, timeoutMs: 40_000 });
    await waitFor(async () => (await call('GET', '/api/v1/auth/me', { headers: bearer(devAccess) })).status === 200, {
      timeoutMs: 10_000,
      what: 'the gateway to reach the restarted security service',
    });
  });

  it('limits login per client with RateLimit headers and a 429 with Retry-After', async () => {
    const body = { email: DEV.email, password: DEV.password };
    let last = await call('POST', '/api/v1/auth/login', { body });
    for (let i = 0; i < AUTH_POINTS && last.status === 200; i++) {
      expect(last.headers.get('ratelimit-limit')).toBe(String(AUTH_POINTS));
      expect(Number(last.headers.get('ratelimit-remaining'))).toBe(AUTH_POINTS - authRequests);
      last = await call('POST', '/api/v1/auth/login', { body });
    }
    expectProblem(last, 429, 'RATE_LIMITED');
    expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last.headers.get('ratelimit-remaining')).toBe('0');
    expect(last.headers.get('ratelimit-reset')).toBeTruthy();
  });
});
