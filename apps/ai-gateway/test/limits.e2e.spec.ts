/**
 * Budgets and rate limits across the platform (Redis, atomic reserve-then-settle), the admin
 * limits API, and GET /api/v1/ai/usage. Real processes from dist/ (`npm run build` first).
 */
import { randomUUID } from 'node:crypto';
import OpenAI from 'openai';
import type { TestUser } from '@aether/testing';
import { AiPlatform } from './fakes/platform';

jest.setTimeout(60_000);

const platform = new AiPlatform();
let admin: TestUser;

beforeAll(async () => {
  await platform.start();
  admin = await platform.identities.user('admin');
});

afterAll(async () => {
  await platform.stop();
});

const ask = (text: string) => [{ role: 'user' as const, content: `${text} ${randomUUID()}` }];

async function setLimits(subject: string, body: Record<string, number>): Promise<Record<string, unknown>> {
  const res = await fetch(`${platform.gateway.httpUrl}/api/v1/ai/limits/${subject}`, {
    method: 'PUT',
    headers: { ...admin.bearer(), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

async function limitsOf(subject: string, who: TestUser = admin): Promise<Response> {
  return fetch(`${platform.gateway.httpUrl}/api/v1/ai/limits/${subject}`, { headers: who.bearer() });
}

describe('budgets', () => {
  it('refuses an exhausted budget with 429 budget_exceeded and x-should-retry: false, so the SDK makes exactly one attempt', async () => {
    const dev = await platform.identities.user('developer');
    await setLimits(`user:${dev.id}`, { usdPerDay: 0 });
    const { sdk, attempts } = platform.client(dev, { maxRetries: 3 });
    const err = await sdk.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: ask('broke') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const e = err as InstanceType<typeof OpenAI.RateLimitError>;
    expect(e.status).toBe(429);
    expect(e.code).toBe('budget_exceeded');
    expect(e.type).toBe('insufficient_quota');
    expect(e.headers?.get('x-should-retry')).toBe('false');
    expect(attempts()).toBe(1);

    // Streams too: an HTTP error before any SSE, not an error event.
    const before = attempts();
    const serr = await sdk.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: ask('broke'), stream: true }).catch((x: unknown) => x);
    expect(serr).toBeInstanceOf(OpenAI.RateLimitError);
    expect(attempts() - before).toBe(1);
  });

  it('never lets 20 concurrent requests overspend a budget (atomic reservation of the worst case)', async () => {
    const dev = await platform.identities.user('developer');
    // openai/priced costs 1 USD per token: a request reserves (prompt estimate + max_tokens) USD
    // and really spends 12 (usage below), so a budget of 100 admits only what its reservations cover.
    await setLimits(`user:${dev.id}`, { usdPerDay: 100 });
    platform.openai.script('priced', { kind: 'reply', text: 'ok', usage: { prompt: 10, completion: 2 }, firstChunkDelayMs: 300 });
    const { sdk } = platform.client(dev, { maxRetries: 0 });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => sdk.chat.completions.create({ model: 'openai/priced', messages: [{ role: 'user', content: `race ${randomUUID()}` }], max_tokens: 2 })),
    );
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as InstanceType<typeof OpenAI.APIError>);
    expect(ok).toBeGreaterThanOrEqual(1);
    expect(ok).toBeLessThan(20);
    expect(ok * 12).toBeLessThanOrEqual(100);
    expect(refused.every((r) => r.code === 'budget_exceeded')).toBe(true);
    // After settling, what was spent is what the answers cost, within the budget.
    await new Promise((r) => setTimeout(r, 300));
    const limits = (await (await limitsOf(`user:${dev.id}`)).json()) as { spentUsdToday: number; usdPerDay: number };
    expect(limits.usdPerDay).toBe(100);
    expect(limits.spentUsdToday).toBeCloseTo(ok * 12, 6);
    expect(limits.spentUsdToday).toBeLessThanOrEqual(100);
  });
});

describe('rate limits', () => {
  it('counts requests per minute per user, with OpenAI x-ratelimit-* headers and a 429 rate_limit_exceeded with retry-after', async () => {
    const dev = await platform.identities.user('developer');
    await setLimits(`user:${dev.id}`, { requestsPerMinute: 2, tokensPerMinute: 1_000_000 });
    const { sdk } = platform.client(dev, { maxRetries: 0 });
    const first = await sdk.chat.completions.create({ model: 'fast', messages: ask('r1') }).withResponse();
    expect(first.response.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect(first.response.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    expect(first.response.headers.get('x-ratelimit-limit-tokens')).toBe('1000000');
    const second = await sdk.chat.completions.create({ model: 'fast', messages: ask('r2') }).withResponse();
    expect(second.response.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    const err = (await sdk.chat.completions.create({ model: 'fast', messages: ask('r3') }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.RateLimitError>;
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.code).toBe('rate_limit_exceeded');
    expect(Number(err.headers?.get('retry-after-ms'))).toBeGreaterThan(0);
    expect(Number(err.headers?.get('retry-after-ms'))).toBeLessThanOrEqual(60_000);
    expect(Number(err.headers?.get('retry-after'))).toBeGreaterThan(0);
    expect(err.headers?.get('x-should-retry')).toBeNull();
  });

  it('limits tokens per minute with the reservation (prompt + max_tokens)', async () => {
    const dev = await platform.identities.user('developer');
    await setLimits(`user:${dev.id}`, { tokensPerMinute: 100 });
    const { sdk } = platform.client(dev, { maxRetries: 0 });
    const err = (await sdk.chat.completions.create({ model: 'fast', messages: ask('t'), max_tokens: 500 }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(429);
    expect(err.code).toBe('rate_limit_exceeded');
    const ok = await sdk.chat.completions.create({ model: 'fast', messages: ask('t'), max_tokens: 20 }).withResponse();
    expect(Number(ok.response.headers.get('x-ratelimit-remaining-tokens'))).toBeLessThan(100);
  });
});

describe('admin limits API and usage', () => {
  it('shows and overrides limits per user and per key (admin only), validating the subject', async () => {
    const dev = await platform.identities.user('developer');
    const defaults = (await (await limitsOf(`user:${dev.id}`)).json()) as Record<string, unknown>;
    expect(defaults).toMatchObject({ subject: `user:${dev.id}`, usdPerDay: 1000, tokensPerMinute: 10000000, requestsPerMinute: 100000, spentUsdToday: 0 });
    const key = randomUUID();
    expect(await setLimits(`key:${key}`, { usdPerDay: 2.5 })).toMatchObject({ subject: `key:${key}`, usdPerDay: 2.5 });
    expect((await limitsOf(`user:${dev.id}`, dev)).status).toBe(403);
    const bad = await limitsOf('team:42');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/problem\+json/);
    const badBody = await fetch(`${platform.gateway.httpUrl}/api/v1/ai/limits/user:${dev.id}`, {
      method: 'PUT',
      headers: { ...admin.bearer(), 'content-type': 'application/json' },
      body: JSON.stringify({ usdPerDay: -1 }),
    });
    expect(badBody.status).toBe(400);
  });

  it("answers GET /api/v1/ai/usage with the caller's requests, tokens and cost, per model", async () => {
    const dev = await platform.identities.user('developer');
    const { sdk } = platform.client(dev);
    platform.groq.script('llama-3.1-8b-instant', { kind: 'reply', text: 'u', usage: { prompt: 100, completion: 50 } });
    platform.anthropic.script('claude-3-5-haiku', { kind: 'reply', text: 'v', usage: { prompt: 10, completion: 5 } });
    await sdk.chat.completions.create({ model: 'fast', messages: ask('u1') });
    await sdk.chat.completions.create({ model: 'fast', messages: ask('u2') });
    await sdk.chat.completions.create({ model: 'claude', messages: ask('u3') });
    await new Promise((r) => setTimeout(r, 300));
    const res = await fetch(`${platform.gateway.httpUrl}/api/v1/ai/usage`, { headers: dev.bearer() });
    expect(res.status).toBe(200);
    const usage = (await res.json()) as Record<string, any>;
    expect(usage).toMatchObject({ requests: 3, promptTokens: 210, completionTokens: 105 });
    expect(usage.costUsd).toBeCloseTo((200 * 0.05 + 100 * 0.08 + 10 * 0.8 + 5 * 4) / 1e6, 12);
    expect(usage.byModel['groq/llama-3.1-8b-instant']).toMatchObject({ requests: 2, promptTokens: 200, completionTokens: 100 });
    expect(usage.byModel['anthropic/claude-3-5-haiku']).toMatchObject({ requests: 1 });
    const someoneElse = await platform.identities.user('developer');
    const theirs = (await (await fetch(`${platform.gateway.httpUrl}/api/v1/ai/usage`, { headers: someoneElse.bearer() })).json()) as Record<string, unknown>;
    expect(theirs.requests).toBe(0);
    const past = await fetch(`${platform.gateway.httpUrl}/api/v1/ai/usage?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z`, { headers: dev.bearer() });
    expect(((await past.json()) as Record<string, unknown>).requests).toBe(0);
    expect((await fetch(`${platform.gateway.httpUrl}/api/v1/ai/usage?from=yesterday`, { headers: dev.bearer() })).status).toBe(400);
  });
});
