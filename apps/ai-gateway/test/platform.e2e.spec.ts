/**
 * The whole path with the real services (dist/, `npm run build` first): a user registers with
 * security, creates an API key, and the official `openai` SDK uses it as `Authorization: Bearer
 * ak_…` against the gateway's /v1; ai-gateway answers from a fake OpenAI provider and publishes
 * one usage event per request, which analytics counts in its summary's `ai` block.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import OpenAI from 'openai';
import {
  createTempDatabase,
  createTempMongoDatabase,
  createTempVhost,
  FakeOpenAi,
  startApp,
  TEST_REDIS_URL,
  uniqueName,
  waitFor,
  type StartedApp,
  type TempResource,
} from '@aether/testing';

jest.setTimeout(120_000);

const KEY = 'sk-platform-fake';
const provider = new FakeOpenAi(KEY);
const prefix = `${uniqueName('ai_platform')}:`;
const dir = mkdtempSync(join(tmpdir(), 'ai-platform-'));
const resources: TempResource[] = [];
const apps: StartedApp[] = [];
let base: string;

beforeAll(async () => {
  await provider.start();
  const [db, mongo, vhost] = await Promise.all([createTempDatabase('ai_platform'), createTempMongoDatabase('ai_platform'), createTempVhost('ai_platform')]);
  resources.push(db, mongo, vhost);
  const config = join(dir, 'ai.yaml');
  writeFileSync(
    config,
    `providers:\n  openai: { kind: openai, baseUrl: ${provider.baseUrl}, apiKeyEnv: PLATFORM_OPENAI_KEY }\nmodels:\n  openai/gpt-4o-mini: { inputPerMTok: 0.15, outputPerMTok: 0.6 }\naliases:\n  fast: [openai/gpt-4o-mini]\nlimits:\n  developer: { usdPerDay: 5, tokensPerMinute: 200000, requestsPerMinute: 120 }\n`,
  );
  const pem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const security = await startApp('security', { DATABASE_URL: db.url, RABBITMQ_URL: vhost.url, JWT_PRIVATE_KEY: pem });
  apps.push(security);
  const jwks = `${security.httpUrl}/.well-known/jwks.json`;
  const [analytics, ai] = await Promise.all([
    startApp('analytics', { MONGODB_URL: mongo.url, RABBITMQ_URL: vhost.url, AUTH_JWKS_URL: jwks }),
    startApp('ai-gateway', { AI_GATEWAY_CONFIG: config, PLATFORM_OPENAI_KEY: KEY, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix, RABBITMQ_URL: vhost.url, AUTH_JWKS_URL: jwks }),
  ]);
  apps.push(analytics, ai);
  const gateway = await startApp('api-gateway', {
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: `${prefix}gw:`,
    AUTH_JWKS_URL: jwks,
    SECURITY_GRPC_URL: security.grpcAddress,
    ANALYTICS_GRPC_URL: analytics.grpcAddress,
    AI_GATEWAY_GRPC_URL: ai.grpcAddress,
    GRPC_DEADLINE_MS: '5000',
  });
  apps.push(gateway);
  base = gateway.httpUrl;
});

afterAll(async () => {
  for (const a of apps.reverse()) await a.stop().catch(() => undefined);
  await provider.stop();
  for (const r of resources) await r.drop().catch(() => undefined);
  const redis = new Redis(TEST_REDIS_URL);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

async function json(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, any> };
}

it('serves the OpenAI SDK with an Aether API key, and analytics counts every request', async () => {
  const email = `ai-${randomUUID().slice(0, 8)}@example.com`;
  expect((await json('POST', '/api/v1/auth/register', { email, password: 'a-long-password-1', name: 'AI user' })).status).toBe(201);
  const login = await json('POST', '/api/v1/auth/login', { email, password: 'a-long-password-1' });
  const bearer = { authorization: `Bearer ${login.body.accessToken}` };
  const created = await json('POST', '/api/v1/api-keys', { name: 'sdk' }, bearer);
  expect(created.status).toBe(201);
  const apiKey: string = created.body.key;
  expect(apiKey.startsWith('ak_')).toBe(true);

  provider.script('gpt-4o-mini', { kind: 'reply', text: 'hello from the platform', usage: { prompt: 20, completion: 5 } });
  const sdk = new OpenAI({ baseURL: `${base}/v1`, apiKey });
  const plain = await sdk.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] });
  expect(plain.choices[0].message.content).toBe('hello from the platform');
  let streamed = '';
  for await (const c of await sdk.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi again' }], stream: true })) {
    streamed += c.choices[0]?.delta?.content ?? '';
  }
  expect(streamed).toBe('hello from the platform');
  const cached = await sdk.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
  expect(cached.response.headers.get('x-aether-cache')).toBe('hit');
  await sdk.chat.completions.create({ model: 'missing/model', messages: [{ role: 'user', content: 'x' }] }).catch(() => undefined);
  expect(provider.requests).toHaveLength(2); // the cached answer and the unknown model never reach the provider

  const usage = await json('GET', '/api/v1/ai/usage', undefined, { authorization: `Bearer ${apiKey}` });
  expect(usage.body).toMatchObject({ requests: 4, promptTokens: 60, completionTokens: 15 });

  const summary = await waitFor(
    async () => {
      const s = await json('GET', '/api/v1/analytics/summary', undefined, bearer);
      return s.body.ai?.requests === 4 ? s.body : undefined;
    },
    { timeoutMs: 20_000, what: 'analytics to count the 4 completion events' },
  );
  expect(summary.ai).toMatchObject({ requests: 4, promptTokens: 60, completionTokens: 15 });
  expect(summary.ai.costUsd).toBeCloseTo((40 * 0.15 + 10 * 0.6) / 1e6, 12); // the cache hit cost nothing
  expect(summary.byType['ai-gateway.completion.completed']).toBe(4);

  // A revoked key stops at once (401 in OpenAI's shape).
  expect((await json('DELETE', `/api/v1/api-keys/${created.body.id}`, undefined, bearer)).status).toBe(204);
  const revoked = await fetch(`${base}/v1/models`, { headers: { authorization: `Bearer ${apiKey}` } });
  expect(revoked.status).toBe(401);
  expect(((await revoked.json()) as { error: { type: string } }).error.type).toBe('authentication_error');
});
