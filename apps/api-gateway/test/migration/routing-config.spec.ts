import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvValidationError } from '@aether/service-kit';
import { TEST_REDIS_URL, TestIdentities, startTestService, uniqueName, type TestService } from '@aether/testing';
import { readRoutesFile, RoutesFileError } from '../../src/migration/route-seed';
import { apiGatewayService } from '../../src/service';
import { connectedRedis, dropPrefix } from '../redis-helpers';

describe('ROUTES_FILE', () => {
  let dir: string;
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'routes-file-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('seeds the routes it lists, with the admin API’s defaults', () => {
    const path = file('ok.yaml', 'routes:\n  - { prefix: /api/v1/tasks, target: new }\n  - prefix: /\n    target: legacy\n    rolloutPercent: 10\n    shadow: new\n    ignorePaths: [requestId]\n');
    expect(readRoutesFile(path, true)).toEqual([
      { prefix: '/api/v1/tasks', settings: { target: 'new', rolloutPercent: 100, shadow: 'off', ignorePaths: [] } },
      { prefix: '/', settings: { target: 'legacy', rolloutPercent: 10, shadow: 'new', ignorePaths: ['requestId'] } },
    ]);
  });

  it.each([
    ['not YAML', 'routes: [', /cannot be read as YAML/],
    ['no list', 'paths: []', /must hold "routes:"/],
    ['bad target', 'routes: [{ prefix: /a, target: sideways }]', /routes\.0\.target must be one of/],
    ['unknown field', 'routes: [{ prefix: /a, target: new, weight: 3 }]', /routes\.0\.weight is not a route field/],
    ['duplicate', 'routes: [{ prefix: /a, target: new }, { prefix: /a, target: new }]', /routes\.1\.prefix \/a is listed twice/],
    ['reserved', 'routes: [{ prefix: /healthz, target: new }]', /routes\.0\.prefix is served by the gateway itself/],
  ])('refuses %s, naming the entry', (_what, text, message) => {
    expect(() => readRoutesFile(file(`${uniqueName('bad')}.yaml`, text), true)).toThrow(RoutesFileError);
    expect(() => readRoutesFile(file(`${uniqueName('bad')}.yaml`, text), true)).toThrow(message);
  });

  it('refuses legacy routes when LEGACY_API_URL is not set', () => {
    expect(() => readRoutesFile(file('legacy.yaml', 'routes: [{ prefix: /, target: legacy }]'), false)).toThrow(/LEGACY_API_URL is not set/);
  });
});

describe('gateway without routing configured', () => {
  const identities = new TestIdentities();
  const prefix = `${uniqueName('gw_norouting')}:`;
  let gateway: TestService | undefined;

  beforeAll(async () => {
    await identities.start();
    // Empty means unset (compose and Helm pass LEGACY_API_URL='' when there is no monolith).
    gateway = await startTestService(apiGatewayService, { env: { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix, AUTH_JWKS_URL: identities.jwksUrl, LEGACY_API_URL: '', DATABASE_URL: '' } });
  });

  afterAll(async () => {
    await gateway?.close();
    await identities.stop();
    const redis = await connectedRedis();
    await dropPrefix(redis, prefix);
    await redis.quit();
  });

  it('starts without PostgreSQL or a broker, serves everything itself and says routing is off', async () => {
    const base = `http://127.0.0.1:${gateway!.httpPort}`;
    const admin = await identities.user('admin');
    const list = await fetch(`${base}/api/v1/admin/routes`, { headers: admin.bearer() });
    expect(list.status).toBe(200);
    expect(await list.json()).toEqual({ version: 0, items: [] });
    const create = await fetch(`${base}/api/v1/admin/routes`, { method: 'POST', headers: { ...admin.bearer(), 'content-type': 'application/json' }, body: JSON.stringify({ prefix: '/x', target: 'new' }) });
    expect(create.status).toBe(503);
    expect(((await create.json()) as { code: string }).code).toBe('UPSTREAM_UNAVAILABLE');
    const other = await fetch(`${base}/api/v1/chat/messages`, { headers: admin.bearer() });
    expect(other.status).toBe(404);
    expect(other.headers.get('x-aether-served-by')).toBe('new');
  });

  it('refuses to start with LEGACY_API_URL or ROUTES_FILE but no DATABASE_URL, naming the variable', async () => {
    for (const env of [{ LEGACY_API_URL: 'http://127.0.0.1:8000' }, { ROUTES_FILE: '/tmp/routes.yaml' }, { DATABASE_URL: 'postgres://postgres@127.0.0.1/x' }]) {
      const started = startTestService(apiGatewayService, { env: { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix, AUTH_JWKS_URL: identities.jwksUrl, ...env } });
      await expect(started).rejects.toThrow(EnvValidationError);
      await expect(started).rejects.toThrow(env.DATABASE_URL ? /RABBITMQ_URL/ : /DATABASE_URL/);
    }
    const bad = startTestService(apiGatewayService, { env: { REDIS_URL: TEST_REDIS_URL, AUTH_JWKS_URL: identities.jwksUrl, LEGACY_API_URL: 'ftp://x', DATABASE_URL: 'postgres://h/x', RABBITMQ_URL: 'amqp://h' } });
    await expect(bad).rejects.toThrow(/LEGACY_API_URL/);
  });
});
