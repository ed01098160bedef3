import Redis from 'ioredis';
import { TEST_REDIS_URL, startTestService, uniqueName, type TestService } from '@aether/testing';
import { apiGatewayService } from '../src/service';
import { FakeSecurity } from './fake-security';
import { connectedRedis, dropPrefix } from './redis-helpers';

/**
 * Text the platform could not store or forward as sent is a 400 at the edge, never a 500 or an
 * altered value: a lone surrogate (`"\ud800"` in JSON) would become U+FFFD on the way through
 * gRPC, and makes validator.js's isEmail throw a URIError.
 */
describe('api-gateway: malformed text in JSON bodies', () => {
  let fake: FakeSecurity;
  let gateway: TestService;
  let redis: Redis;
  let base: string;
  const prefix = `${uniqueName('gw_text')}:`;

  beforeAll(async () => {
    fake = await FakeSecurity.start();
    redis = await connectedRedis();
    gateway = await startTestService(apiGatewayService, {
      env: {
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: prefix,
        SECURITY_GRPC_URL: `127.0.0.1:${fake.grpcPort}`,
        AUTH_JWKS_URL: fake.jwksUrl,
        RATE_LIMIT_AUTH_POINTS: '1000',
        RATE_LIMIT_ANON_POINTS: '1000',
      },
    });
    base = `http://127.0.0.1:${gateway.httpPort}`;
  });

  afterAll(async () => {
    await gateway?.close();
    await fake?.stop();
    await dropPrefix(redis, prefix);
    await redis.quit();
  });

  /** `raw` is sent as written: JSON escapes such as \ud800 reach the parser untouched. */
  async function post(path: string, raw: string, headers: Record<string, string> = {}) {
    const res = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: raw });
    return { status: res.status, type: res.headers.get('content-type'), json: (await res.json()) as { code: string; requestId: string; errors?: { field: string; message: string }[] } };
  }

  it.each([
    ['register', '/api/v1/auth/register', '{"email":"x\\ud800y","password":"correct-horse-battery","name":"Ada"}', 'email'],
    ['register (in an address)', '/api/v1/auth/register', '{"email":"x\\ud800y@example.com","password":"correct-horse-battery","name":"Ada"}', 'email'],
    ['login', '/api/v1/auth/login', '{"email":"x\\ud800y","password":"whatever-it-is"}', 'email'],
    ['a name', '/api/v1/auth/register', '{"email":"ada@example.com","password":"correct-horse-battery","name":"A\\udc00da"}', 'name'],
  ])('a lone surrogate in %s is 400 VALIDATION_FAILED naming the field, and nothing reaches the service', async (_what, path, raw, field) => {
    const before = fake.callsOf('register').length + fake.callsOf('login').length;
    const res = await post(path, raw);
    expect(res.status).toBe(400);
    expect(res.type).toMatch(/^application\/problem\+json/);
    expect(res.json.code).toBe('VALIDATION_FAILED');
    expect(res.json.requestId).toEqual(expect.any(String));
    expect(res.json.errors).toEqual([{ field, message: expect.stringMatching(/well-formed Unicode/) }]);
    expect(fake.callsOf('register').length + fake.callsOf('login').length).toBe(before);
  });

  it('a task title with a lone surrogate is refused (not stored as U+FFFD), wherever it sits in the body', async () => {
    const token = await fake.token('text-user', 'developer');
    const auth = { authorization: `Bearer ${token}` };
    const title = await post('/api/v1/tasks', '{"title":"x\\ud800y"}', auth);
    expect(title).toMatchObject({ status: 400, json: { code: 'VALIDATION_FAILED', errors: [{ field: 'title' }] } });
    const label = await post('/api/v1/tasks', '{"title":"ok","labels":["fine","\\udfff"]}', auth);
    expect(label).toMatchObject({ status: 400, json: { errors: [{ field: 'labels[1]' }] } });
    // A correctly paired surrogate (an emoji written as escapes) is ordinary text.
    const emoji = await post('/api/v1/auth/register', '{"email":"ada@example.com","password":"correct-horse-battery","name":"\\ud83d\\ude00"}');
    expect(emoji.status).not.toBe(400);
  });
});
