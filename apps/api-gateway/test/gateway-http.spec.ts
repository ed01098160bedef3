import type Redis from 'ioredis';
import type { RunningService } from '@aether/service-kit';
import { startTestService, TEST_REDIS_URL, uniqueName, waitFor } from '@aether/testing';
import { apiGatewayService } from '../src/service';
import { FakeSecurity } from './fake-security';
import { connectedRedis, dropPrefix } from './redis-helpers';

/**
 * The gateway in-process, over real HTTP, with real Redis and a fake security gRPC server:
 * the HTTP conventions (problem+json, request ids, validation, body limits), authentication,
 * RBAC, rate limits, idempotency and upstream failures — independent of the real security app.
 */
describe('api-gateway HTTP pipeline', () => {
  let fake: FakeSecurity;
  let running: RunningService;
  let base: string;
  let redis: Redis;
  const prefix = `${uniqueName('gw_http')}:`;
  let ipCounter = 1;
  /** Every test that touches per-IP limits gets its own client address (TRUST_PROXY=true). */
  const freshIp = () => `198.51.100.${ipCounter++}`;

  beforeAll(async () => {
    fake = await FakeSecurity.start();
    redis = await connectedRedis();
    running = await startTestService(apiGatewayService, {
      env: {
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: prefix,
        SECURITY_GRPC_URL: `127.0.0.1:${fake.grpcPort}`,
        AUTH_JWKS_URL: fake.jwksUrl,
        GRPC_DEADLINE_MS: '800',
        RATE_LIMIT_AUTH_POINTS: '3',
        RATE_LIMIT_ANON_POINTS: '50',
        TRUST_PROXY: 'true',
        BODY_LIMIT_BYTES: '1048576',
      },
    });
    base = `http://127.0.0.1:${running.httpPort}`;
  });

  afterAll(async () => {
    await running?.shutdown();
    await fake?.stop();
    await dropPrefix(redis, prefix);
    await redis.quit();
  });

  async function call(method: string, path: string, opts: { body?: unknown; raw?: string; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { ...opts.headers };
    let body: string | undefined;
    if (opts.raw !== undefined) body = opts.raw;
    else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
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

  function expectProblem(res: Awaited<ReturnType<typeof call>>, status: number, code: string) {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.json).toMatchObject({ status, code, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
    expect(res.json.requestId).toBe(res.headers.get('x-request-id'));
    expect(res.text).not.toMatch(/\bat .+\.(js|ts):\d+/); // no stack trace
  }

  const registerBody = (email: string) => ({ email, password: 'correct horse battery', name: 'Ada' });

  describe('conventions', () => {
    it('serves the kit health endpoints without auth or rate limits', async () => {
      const res = await call('GET', '/healthz');
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ status: 'ok' });
      expect(res.headers.get('x-request-id')).toBeTruthy();
      expect(res.headers.get('ratelimit-limit')).toBeNull();
      expect((await call('GET', '/readyz')).status).toBe(200);
    });

    it('echoes a sane X-Request-Id and replaces an unsafe one', async () => {
      const mine = await call('GET', '/nope', { headers: { 'x-request-id': 'client-id-123' } });
      expect(mine.headers.get('x-request-id')).toBe('client-id-123');
      expect(mine.json.requestId).toBe('client-id-123');
      const unsafe = await call('GET', '/nope', { headers: { 'x-request-id': 'x'.repeat(200) } });
      expect(unsafe.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('answers an unknown route with a 404 problem', async () => {
      expectProblem(await call('GET', '/api/v1/nothing-here'), 404, 'NOT_FOUND');
    });

    it('answers body errors on the OpenAI-compatible /v1 routes in OpenAI\'s error shape, not problem+json', async () => {
      const h = { 'x-forwarded-for': freshIp(), 'content-type': 'application/json' };
      for (const [res, status] of [
        [await call('POST', '/v1/chat/completions', { raw: '{"model": ', headers: h }), 400],
        [await call('POST', '/v1/embeddings', { raw: 'hello', headers: { ...h, 'content-type': 'text/plain' } }), 415],
        [await call('POST', '/v1/chat/completions', { raw: JSON.stringify({ model: 'x', messages: ['y'.repeat(2 * 1024 * 1024)] }), headers: h }), 413],
      ] as const) {
        expect(res.status).toBe(status);
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        expect(res.json).toEqual({ error: { message: expect.any(String), type: 'invalid_request_error', param: null, code: expect.any(String) } });
        expect(res.headers.get('x-request-id')).toBeTruthy();
      }
    });

    it('rejects malformed JSON, unknown fields, huge bodies and other media types', async () => {
      const ip = freshIp();
      const h = { 'x-forwarded-for': ip };
      const malformed = await call('POST', '/api/v1/auth/login', { raw: '{"email": "a@b.co",', headers: { ...h, 'content-type': 'application/json' } });
      expectProblem(malformed, 400, 'MALFORMED_JSON');

      const unknown = await call('POST', '/api/v1/auth/login', { body: { email: 'a@b.co', password: 'x', admin: true }, headers: h });
      expectProblem(unknown, 400, 'VALIDATION_FAILED');
      expect(unknown.json.errors).toEqual([{ field: 'admin', message: 'is not a known field' }]);

      const huge = await call('POST', '/api/v1/auth/refresh', { body: { refreshToken: 'x'.repeat(2 * 1024 * 1024) } });
      expectProblem(huge, 413, 'PAYLOAD_TOO_LARGE');

      const text = await call('POST', '/api/v1/auth/refresh', { raw: 'hello', headers: { 'content-type': 'text/plain' } });
      expectProblem(text, 415, 'UNSUPPORTED_MEDIA_TYPE');
      expect(fake.callsOf('login')).toHaveLength(0); // nothing reached security
    });

    it('validates register input (email, password length, name) with field errors', async () => {
      const res = await call('POST', '/api/v1/auth/register', {
        body: { email: 'nope', password: 'short' },
        headers: { 'x-forwarded-for': freshIp() },
      });
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(res.json.errors.map((e: { field: string }) => e.field).sort()).toEqual(['email', 'name', 'password']);
    });

    it('serves the OpenAPI document and the docs UI', async () => {
      const doc = await call('GET', '/docs/openapi.json');
      expect(doc.status).toBe(200);
      expect(Object.keys(doc.json.paths)).toEqual(
        expect.arrayContaining(['/api/v1/auth/register', '/api/v1/api-keys', '/api/v1/api-keys/{id}', '/api/v1/users/{id}/roles', '/.well-known/jwks.json']),
      );
      expect(Object.keys(doc.json.components.securitySchemes).sort()).toEqual(['api-key', 'bearer']);
      expect(doc.json.components.schemas.RegisterDto.required).toEqual(expect.arrayContaining(['email', 'password', 'name']));
      // Errors are documented as they are sent: problem+json, never plain JSON.
      const login = doc.json.paths['/api/v1/auth/login'].post;
      expect(Object.keys(login.responses['401'].content)).toEqual(['application/problem+json']);
      expect(Object.keys(login.responses.default.content)).toEqual(['application/problem+json']);
      expect(Object.keys(login.responses['200'].content)).toEqual(['application/json']);
      // Request bodies are closed (unknown fields are a 400).
      for (const dto of ['RegisterDto', 'LoginDto', 'RefreshTokenDto', 'CreateApiKeyDto', 'SetRolesDto']) {
        expect(doc.json.components.schemas[dto].additionalProperties).toBe(false);
      }
      expect(doc.json.components.schemas.UserDto.additionalProperties).toBeUndefined();
      const jwks = doc.json.paths['/.well-known/jwks.json'].get.responses['200'].content['application/json'].schema;
      expect(jwks).toEqual({ $ref: '#/components/schemas/JwksDto' });
      expect(doc.json.components.schemas.JwksDto.required).toEqual(['keys']);
      const ui = await call('GET', '/docs');
      expect(ui.status).toBe(200);
      expect(ui.text).toMatch(/swagger/i);
    });

    it('publishes the JWKS without the empty fields of other key types', async () => {
      const res = await call('GET', '/.well-known/jwks.json');
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ keys: [{ kty: 'EC', kid: 'test-key', alg: 'ES256', use: 'sig', crv: 'P-256', x: 'xx', y: 'yy' }] });
      expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    });
  });

  describe('security routes', () => {
    it('registers (201), maps EMAIL_TAKEN to 409 and forwards the request id', async () => {
      const h = { 'x-forwarded-for': freshIp(), 'x-request-id': 'reg-1' };
      const created = await call('POST', '/api/v1/auth/register', { body: registerBody('grace@example.com'), headers: h });
      expect(created.status).toBe(201);
      expect(created.json).toEqual({ id: expect.any(String), email: 'grace@example.com', name: 'Ada', roles: ['developer'], createdAt: '2025-01-01T00:00:00.000Z' });
      expect(fake.callsOf('register').at(-1)!.metadata.get('x-request-id')).toEqual(['reg-1']);
      const again = await call('POST', '/api/v1/auth/register', { body: registerBody('grace@example.com'), headers: { 'x-forwarded-for': freshIp() } });
      expectProblem(again, 409, 'EMAIL_TAKEN');
    });

    it('maps INVALID_CREDENTIALS to 401 with WWW-Authenticate', async () => {
      const res = await call('POST', '/api/v1/auth/login', {
        body: { email: 'grace@example.com', password: 'wrong password' },
        headers: { 'x-forwarded-for': freshIp() },
      });
      expectProblem(res, 401, 'INVALID_CREDENTIALS');
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    });

    it('replays an idempotent register and creates the user once', async () => {
      const h = { 'x-forwarded-for': freshIp(), 'idempotency-key': uniqueName('idem') };
      const before = fake.callsOf('register').length;
      const first = await call('POST', '/api/v1/auth/register', { body: registerBody('idem@example.com'), headers: h });
      const second = await call('POST', '/api/v1/auth/register', { body: registerBody('idem@example.com'), headers: h });
      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.json).toEqual(first.json);
      expect(second.headers.get('idempotent-replayed')).toBe('true');
      expect(fake.callsOf('register').length - before).toBe(1);
      const other = await call('POST', '/api/v1/auth/register', { body: registerBody('other@example.com'), headers: h });
      expectProblem(other, 422, 'IDEMPOTENCY_KEY_REUSED');
      expect(fake.callsOf('register').length - before).toBe(1);
    });

    it('scopes anonymous idempotency keys by client IP: two clients with one key string do not collide', async () => {
      const key = uniqueName('shared-idem');
      const before = fake.callsOf('register').length;
      const a = await call('POST', '/api/v1/auth/register', { body: registerBody('ip-a@example.com'), headers: { 'x-forwarded-for': freshIp(), 'idempotency-key': key } });
      const bIp = freshIp();
      const b = await call('POST', '/api/v1/auth/register', { body: registerBody('ip-b@example.com'), headers: { 'x-forwarded-for': bIp, 'idempotency-key': key } });
      expect(a.status).toBe(201);
      expect(b.status).toBe(201); // not a 422 for A's body, not A's answer
      expect(b.json.email).toBe('ip-b@example.com');
      expect(b.headers.get('idempotent-replayed')).toBeNull();
      expect(fake.callsOf('register').length - before).toBe(2);
      // Each client still gets its own replay.
      const bAgain = await call('POST', '/api/v1/auth/register', { body: registerBody('ip-b@example.com'), headers: { 'x-forwarded-for': bIp, 'idempotency-key': key } });
      expect(bAgain.headers.get('idempotent-replayed')).toBe('true');
      expect(bAgain.json).toEqual(b.json);
    });

    it('does not store a failed first attempt', async () => {
      const h = { 'x-forwarded-for': freshIp(), 'idempotency-key': uniqueName('idem') };
      const bad = await call('POST', '/api/v1/auth/register', { body: { email: 'x' }, headers: h });
      expect(bad.status).toBe(400);
      const good = await call('POST', '/api/v1/auth/register', { body: { email: 'x' }, headers: h });
      expect(good.status).toBe(400); // evaluated again, not a replay
      expect(good.headers.get('idempotent-replayed')).toBeNull();
    });

    it('needs credentials: 401 + WWW-Authenticate when missing or invalid', async () => {
      const none = await call('GET', '/api/v1/auth/me');
      expectProblem(none, 401, 'TOKEN_MISSING');
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expectProblem(await call('GET', '/api/v1/auth/me', { headers: { authorization: 'Bearer not.a.jwt' } }), 401, 'TOKEN_INVALID');
      expectProblem(await call('GET', '/api/v1/auth/me', { headers: { authorization: 'Basic abc' } }), 401, 'TOKEN_INVALID');
    });

    it('forwards the caller token to security and rate-limits per identity', async () => {
      const token = await fake.token('dev-1', 'developer');
      const res = await call('GET', '/api/v1/auth/me', { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ id: 'u1', email: 'u1@example.com', name: 'U1', roles: ['developer'], permissions: ['tasks:read'] });
      expect(fake.callsOf('getMe').at(-1)!.metadata.get('authorization')).toEqual([`Bearer ${token}`]);
      expect(res.headers.get('ratelimit-limit')).toBe('600');
      expect(Number(res.headers.get('ratelimit-remaining'))).toBe(599);
      expect(Number(res.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
    });

    it('accepts API keys in both header forms, exchanging them on every request', async () => {
      const before = fake.callsOf('authenticateApiKey').length;
      const viaHeader = await call('GET', '/api/v1/auth/me', { headers: { 'x-api-key': 'ak_good_1' } });
      const viaBearer = await call('GET', '/api/v1/auth/me', { headers: { authorization: 'Bearer ak_good_1' } });
      expect(viaHeader.status).toBe(200);
      expect(viaBearer.status).toBe(200);
      expect(fake.callsOf('authenticateApiKey').length - before).toBe(2);
      expectProblem(await call('GET', '/api/v1/auth/me', { headers: { 'x-api-key': 'ak_bad' } }), 401, 'API_KEY_INVALID');
    });

    it('rate-limits a user once, whether they call with a JWT or any of their API keys', async () => {
      const remaining = async (headers: Record<string, string>) => {
        const res = await call('GET', '/api/v1/auth/me', { headers });
        expect(res.status).toBe(200);
        expect(res.headers.get('ratelimit-limit')).toBe('600');
        return Number(res.headers.get('ratelimit-remaining'));
      };
      // 'key-owner' owns every fake key; each key string has its own key id.
      const viaJwt = await remaining({ authorization: `Bearer ${await fake.token('key-owner', 'developer')}` });
      const viaKeyA = await remaining({ 'x-api-key': 'ak_good_budget_a' });
      const viaKeyB = await remaining({ authorization: 'Bearer ak_good_budget_b' });
      expect([viaKeyA, viaKeyB]).toEqual([viaJwt - 1, viaJwt - 2]);
    });

    it('stops accepting a revoked key at once', async () => {
      expect((await call('GET', '/api/v1/auth/me', { headers: { 'x-api-key': 'ak_good_revocable' } })).status).toBe(200);
      const token = await fake.token('dev-1', 'developer');
      const del = await call('DELETE', '/api/v1/api-keys/3f1c2b9e-4a5d-4e6f-8a7b-9c0d1e2f3a4b', { headers: { authorization: `Bearer ${token}` } });
      expect(del.status).toBe(204);
      expectProblem(await call('GET', '/api/v1/auth/me', { headers: { 'x-api-key': 'ak_good_revocable' } }), 401, 'API_KEY_INVALID');
    });

    it('creates API keys idempotently and lists them as a page', async () => {
      const auth = { authorization: `Bearer ${await fake.token('dev-2', 'developer')}` };
      const key = { ...auth, 'idempotency-key': 'create-key-1' };
      const first = await call('POST', '/api/v1/api-keys', { body: { name: 'ci', scopes: ['tasks:read'] }, headers: key });
      expect(first.status).toBe(201);
      expect(first.json).toEqual({
        id: expect.any(String), name: 'ci', prefix: 'ak_good', scopes: ['tasks:read'],
        createdAt: expect.any(String), expiresAt: null, key: expect.stringMatching(/^ak_/),
      });
      const replay = await call('POST', '/api/v1/api-keys', { body: { scopes: ['tasks:read'], name: 'ci' }, headers: key });
      expect(replay.json).toEqual(first.json);
      expect(fake.callsOf('createApiKey')).toHaveLength(1);
      // Another identity using the same key string is a different request.
      const otherUser = { authorization: `Bearer ${await fake.token('dev-3', 'developer')}`, 'idempotency-key': 'create-key-1' };
      expect((await call('POST', '/api/v1/api-keys', { body: { name: 'ci', scopes: ['tasks:read'] }, headers: otherUser })).status).toBe(201);

      const list = await call('GET', '/api/v1/api-keys?limit=5', { headers: auth });
      expect(list.status).toBe(200);
      expect(list.json).toEqual({
        items: [{ id: 'k1', name: 'n', prefix: 'ak_good', scopes: [], createdAt: '2025-01-01T00:00:00.000Z', expiresAt: null, lastUsedAt: null }],
        nextCursor: null,
      });
      expect(fake.callsOf('listApiKeys').at(-1)!.request.page).toEqual({ limit: 5, cursor: '' });
      for (const limit of ['101', '0', '0x10', '1e1', '2.5', '%205', '']) {
        const bad = await call('GET', `/api/v1/api-keys?limit=${limit}`, { headers: auth });
        expectProblem(bad, 400, 'VALIDATION_FAILED');
        expect(bad.json.errors[0].field).toBe('limit');
      }
      expectProblem(await call('GET', '/api/v1/api-keys?sort=name', { headers: auth }), 400, 'VALIDATION_FAILED');
      expectProblem(await call('POST', '/api/v1/api-keys', { body: { name: 'x', scopes: ['root'] }, headers: auth }), 400, 'VALIDATION_FAILED');
      expectProblem(await call('DELETE', '/api/v1/api-keys/not-a-uuid', { headers: auth }), 400, 'VALIDATION_FAILED');
    });

    it('tells security the client IP and user agent on every call (x-client-ip, x-user-agent)', async () => {
      const ip = freshIp();
      const auth = { authorization: `Bearer ${await fake.token('dev-4', 'developer')}`, 'x-forwarded-for': ip, 'user-agent': 'aether-test/1.0' };
      expect((await call('POST', '/api/v1/api-keys', { body: { name: 'ip' }, headers: auth })).status).toBe(201);
      const created = fake.callsOf('createApiKey').at(-1)!.metadata;
      expect(created.get('x-client-ip')).toEqual([ip]);
      expect(created.get('x-user-agent')).toEqual(['aether-test/1.0']);
      expect((await call('DELETE', '/api/v1/api-keys/3f1c2b9e-4a5d-4e6f-8a7b-9c0d1e2f3a4b', { headers: auth })).status).toBe(204);
      expect(fake.callsOf('revokeApiKey').at(-1)!.metadata.get('x-client-ip')).toEqual([ip]);
      const logoutIp = freshIp();
      expect((await call('POST', '/api/v1/auth/logout', { body: { refreshToken: 'rt_x' }, headers: { 'x-forwarded-for': logoutIp } })).status).toBe(204);
      expect(fake.callsOf('logout').at(-1)!.metadata.get('x-client-ip')).toEqual([logoutIp]);
    });

    it('enforces permissions: 403 for a developer, 200 for an admin', async () => {
      const before = fake.callsOf('listUsers').length;
      const dev = await call('GET', '/api/v1/users', { headers: { authorization: `Bearer ${await fake.token('dev-1', 'developer')}` } });
      expectProblem(dev, 403, 'FORBIDDEN');
      expect(fake.callsOf('listUsers').length).toBe(before);
      const admin = await call('GET', '/api/v1/users', { headers: { authorization: `Bearer ${await fake.token('admin-1', 'admin')}` } });
      expect(admin.status).toBe(200);
      expect(admin.json.nextCursor).toBe('next-page');
      expect(Array.isArray(admin.json.items)).toBe(true);
      const badRole = await call('PUT', '/api/v1/users/3f1c2b9e-4a5d-4e6f-8a7b-9c0d1e2f3a4b/roles', {
        body: { roles: ['superuser'] },
        headers: { authorization: `Bearer ${await fake.token('admin-1', 'admin')}` },
      });
      expectProblem(badRole, 400, 'VALIDATION_FAILED');
      expect(badRole.json.errors[0].field).toBe('roles');
      const noRoles = await call('PUT', '/api/v1/users/3f1c2b9e-4a5d-4e6f-8a7b-9c0d1e2f3a4b/roles', {
        body: { roles: [] },
        headers: { authorization: `Bearer ${await fake.token('admin-1', 'admin')}` },
      });
      expectProblem(noRoles, 400, 'VALIDATION_FAILED');
      expect(noRoles.json.errors).toEqual([{ field: 'roles', message: expect.any(String) }]);
      expect(fake.callsOf('setUserRoles')).toHaveLength(0);
    });
  });

  describe('rate limits', () => {
    it('limits login per client IP with RateLimit headers, then 429 with Retry-After', async () => {
      const h = { 'x-forwarded-for': freshIp() };
      const body = { email: 'grace@example.com', password: 'correct horse battery' };
      const remaining: (string | null)[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await call('POST', '/api/v1/auth/login', { body, headers: h });
        expect(res.status).toBe(200);
        expect(res.headers.get('ratelimit-limit')).toBe('3');
        remaining.push(res.headers.get('ratelimit-remaining'));
      }
      expect(remaining).toEqual(['2', '1', '0']);
      const limited = await call('POST', '/api/v1/auth/login', { body, headers: h });
      expectProblem(limited, 429, 'RATE_LIMITED');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(limited.headers.get('ratelimit-remaining')).toBe('0');
      // Another client is unaffected.
      expect((await call('POST', '/api/v1/auth/login', { body, headers: { 'x-forwarded-for': freshIp() } })).status).toBe(200);
    });
  });

  describe('upstream outage', () => {
    it('answers 503 quickly while security is down, stays healthy, and recovers by itself', async () => {
      const auth = { authorization: `Bearer ${await fake.token('dev-1', 'developer')}` };
      const port = fake.grpcPort;
      fake.stopGrpc();
      const started = Date.now();
      const down = await call('GET', '/api/v1/auth/me', { headers: auth });
      expect(Date.now() - started).toBeLessThan(1500);
      expectProblem(down, 503, 'UPSTREAM_UNAVAILABLE');
      expect(down.text).not.toContain(String(port));
      expect((await call('GET', '/healthz')).status).toBe(200);
      expect((await call('GET', '/readyz')).status).toBe(200);

      await fake.startGrpc(port);
      await waitFor(async () => (await call('GET', '/api/v1/auth/me', { headers: auth })).status === 200, {
        timeoutMs: 10_000,
        what: 'the gateway to reach security again',
      });
    });
  });
});
