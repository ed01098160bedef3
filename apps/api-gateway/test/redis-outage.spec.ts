import type { RunningService } from '@aether/service-kit';
import { freePort, startTestService } from '@aether/testing';
import { apiGatewayService } from '../src/service';
import { FakeSecurity } from './fake-security';

/**
 * The gateway in-process with its Redis unreachable (a closed local port): /readyz says so with
 * details, /healthz stays up, rate-limited routes keep working on the in-memory insurance, and
 * an idempotent POST answers 503 instead of hanging or creating twice.
 */
describe('api-gateway while its Redis is down', () => {
  let fake: FakeSecurity;
  let running: RunningService;
  let base: string;
  let redisPort: number;

  beforeAll(async () => {
    fake = await FakeSecurity.start();
    redisPort = await freePort(); // nothing listens there
    running = await startTestService(apiGatewayService, {
      env: {
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        REDIS_KEY_PREFIX: 'gw_redis_outage:',
        SECURITY_GRPC_URL: `127.0.0.1:${fake.grpcPort}`,
        AUTH_JWKS_URL: fake.jwksUrl,
        GRPC_DEADLINE_MS: '800',
      },
    });
    base = `http://127.0.0.1:${running.httpPort}`;
  });

  afterAll(async () => {
    await running?.shutdown();
    await fake?.stop();
  });

  it('answers /readyz 503 as problem+json naming the dependency, without internal addresses', async () => {
    const res = await fetch(`${base}/readyz`);
    const text = await res.text();
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = JSON.parse(text);
    expect(body).toMatchObject({ status: 503, code: 'NOT_READY', details: { redis: { status: 'down' } } });
    expect(body.requestId).toBe(res.headers.get('x-request-id'));
    expect(text).not.toContain(String(redisPort));
    expect(text).not.toContain('127.0.0.1');

    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('keeps serving rate-limited routes and refuses idempotent POSTs with 503', async () => {
    const auth = { authorization: `Bearer ${await fake.token('dev-1', 'developer')}` };
    const me = await fetch(`${base}/api/v1/auth/me`, { headers: auth });
    expect(me.status).toBe(200);
    expect(me.headers.get('ratelimit-limit')).toBeTruthy();

    const before = fake.callsOf('createApiKey').length;
    const res = await fetch(`${base}/api/v1/api-keys`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': 'while-redis-is-down' },
      body: JSON.stringify({ name: 'ci' }),
    });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { code: string }).code).toBe('UPSTREAM_UNAVAILABLE');
    expect(fake.callsOf('createApiKey').length).toBe(before);
  });
});
