/**
 * Streams and failures across the platform: keep-alives, client aborts cancelling the provider
 * request, the circuit breaker shared by two ai-gateway replicas, and exactly one usage event
 * per request whatever its outcome. Real processes from dist/ (`npm run build` first).
 */
import { randomUUID } from 'node:crypto';
import OpenAI from 'openai';
import { startApp, TEST_REDIS_URL, waitFor, type StartedApp, type TestUser } from '@aether/testing';
import { AiPlatform } from './fakes/platform';

jest.setTimeout(90_000);

const platform = new AiPlatform();
let dev: TestUser;
let sdk: OpenAI;
let secondGateway: StartedApp | undefined;

beforeAll(async () => {
  await platform.start();
  dev = await platform.identities.user('developer');
  sdk = platform.client(dev).sdk;
});

afterAll(async () => {
  await secondGateway?.stop();
  await platform.stop();
});

const ask = (text: string) => [{ role: 'user' as const, content: `${text} ${randomUUID()}` }];

describe('streams', () => {
  it('sends SSE keep-alive comments while the provider is silent, then the chunks as they come', async () => {
    platform.groq.script('llama-3.1-8b-instant', { kind: 'reply', text: 'late but fine', firstChunkDelayMs: 700, chunkDelayMs: 450 });
    const res = await fetch(`${platform.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { ...dev.bearer(), 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fast', messages: ask('slow'), stream: true }),
    });
    expect(res.status).toBe(200);
    const arrivals: Array<{ at: number; text: string }> = [];
    const decoder = new TextDecoder();
    for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) arrivals.push({ at: Date.now(), text: decoder.decode(part) });
    const body = arrivals.map((a) => a.text).join('');
    expect(body).toContain(': keep-alive\n\n');
    expect(body.trim().endsWith('data: [DONE]')).toBe(true);
    const contentArrivals = arrivals.filter((a) => a.text.includes('"content":"') && !a.text.includes('"content":""'));
    // Not buffered: the three content chunks (450 ms apart at the provider) arrive apart too.
    expect(contentArrivals.length).toBeGreaterThanOrEqual(3);
    expect(contentArrivals.at(-1)!.at - contentArrivals[0].at).toBeGreaterThan(600);
  });

  it('cancels the provider request within 0.5 s when the client aborts a stream, and still records the usage', async () => {
    platform.groq.script('llama-3.1-8b-instant', { kind: 'reply', text: 'x'.repeat(600), chunkDelayMs: 100 });
    const requestId = randomUUID();
    const controller = new AbortController();
    const stream = await sdk.chat.completions.create({ model: 'fast', messages: ask('abort'), stream: true }, { signal: controller.signal, headers: { 'x-request-id': requestId } });
    let seen = 0;
    let abortedAt = 0;
    await (async () => {
      for await (const c of stream) {
        if (c.choices[0]?.delta?.content) seen++;
        if (seen === 3) {
          abortedAt = Date.now();
          controller.abort();
        }
      }
    })().catch(() => undefined);
    const rec = platform.groq.requestsFor('llama-3.1-8b-instant').at(-1)!;
    await waitFor(() => rec.abortedAt, { timeoutMs: 2000, what: 'the provider request to be closed' });
    expect(rec.abortedAt! - abortedAt).toBeLessThan(500);
    const [event] = await platform.eventsOf(requestId);
    expect(event.data).toMatchObject({ status: 'cancelled', stream: true, requestedModel: 'fast' });
    expect(event.data.usage.completionTokens).toBeGreaterThan(0);
    expect(event.data.usage.model).toBe('groq/llama-3.1-8b-instant');
  });

  it('cancels the provider request when the client aborts a non-streamed call', async () => {
    platform.groq.script('llama-3.1-8b-instant', { kind: 'hang' });
    const controller = new AbortController();
    const requestId = randomUUID();
    const pending = sdk.chat.completions.create({ model: 'fast', messages: ask('abort-plain') }, { signal: controller.signal, headers: { 'x-request-id': requestId }, maxRetries: 0 });
    await waitFor(() => platform.groq.requestsFor('llama-3.1-8b-instant').at(-1)?.body.messages[0].content.startsWith('abort-plain'), { what: 'the provider call' });
    const abortedAt = Date.now();
    controller.abort();
    await pending.catch(() => undefined);
    const rec = platform.groq.requestsFor('llama-3.1-8b-instant').at(-1)!;
    await waitFor(() => rec.abortedAt, { timeoutMs: 2000, what: 'the provider request to be closed' });
    expect(rec.abortedAt! - abortedAt).toBeLessThan(500);
    const [event] = await platform.eventsOf(requestId);
    expect(event.data.status).toBe('cancelled');
    platform.groq.script('llama-3.1-8b-instant', { kind: 'reply', text: 'ok' });
  });
});

describe('circuit breaker', () => {
  it('opens for every replica after repeated failures, lets one half-open probe through, and closes on success', async () => {
    const replica = await platform.replica();
    secondGateway = await startApp('api-gateway', {
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: `${platform.redisPrefix}gw2:`,
      AUTH_JWKS_URL: platform.identities.jwksUrl,
      AI_GATEWAY_GRPC_URL: replica.grpcAddress,
      SECURITY_GRPC_URL: '127.0.0.1:1',
    });
    const viaReplica = new OpenAI({ baseURL: `${secondGateway.httpUrl}/v1`, apiKey: dev.principal.accessToken, maxRetries: 0 });
    platform.groq.script('shared', { kind: 'error', status: 503 });
    platform.openai.script('gpt-4o-mini', { kind: 'reply', text: 'fallback' });

    // Replica 1: two requests, each a failure and its retry → 4 failures ≥ threshold 3: open.
    for (let i = 0; i < 2; i++) expect((await sdk.chat.completions.create({ model: 'shared', messages: ask('b') })).model).toBe('openai/gpt-4o-mini');
    const failed = platform.groq.requestsFor('shared').length;
    expect(failed).toBe(4);

    // Replica 2 never called groq/shared itself, yet skips it: the state is shared through Redis.
    for (let i = 0; i < 3; i++) expect((await viaReplica.chat.completions.create({ model: 'shared', messages: ask('c') })).model).toBe('openai/gpt-4o-mini');
    expect(platform.groq.requestsFor('shared').length).toBe(failed);

    // After AI_BREAKER_OPEN_MS (1.5 s) one probe goes through; it succeeds and closes the breaker for both.
    platform.groq.script('shared', { kind: 'reply', text: 'healthy again', firstChunkDelayMs: 300 });
    await new Promise((r) => setTimeout(r, 1700));
    const [probe, during] = await Promise.all([
      viaReplica.chat.completions.create({ model: 'shared', messages: ask('probe') }),
      new Promise((r) => setTimeout(r, 100)).then(() => sdk.chat.completions.create({ model: 'shared', messages: ask('during') })),
    ]);
    expect([probe.model, during.model].sort()).toEqual(['groq/shared', 'openai/gpt-4o-mini']); // one probe only
    expect(platform.groq.requestsFor('shared').length).toBe(failed + 1);
    expect((await sdk.chat.completions.create({ model: 'shared', messages: ask('after') })).model).toBe('groq/shared');
    expect((await viaReplica.chat.completions.create({ model: 'shared', messages: ask('after2') })).model).toBe('groq/shared');
  });
});

describe('usage events', () => {
  it('publishes exactly one ai-gateway.completion.completed per request: plain, streamed, cached, fallen back, failed, cancelled', async () => {
    platform.groq.script('llama-3.1-8b-instant', { kind: 'reply', text: 'counted', usage: { prompt: 10, completion: 2 } });
    platform.groq.script('flaky', { kind: 'error', status: 500 });
    platform.openai.script('gpt-4o-mini', { kind: 'reply', text: 'fb', usage: { prompt: 1000, completion: 1000 } });
    const id = () => randomUUID();
    const cases: Record<string, string> = { plain: id(), streamed: id(), cached: id(), fallback: id(), failed: id(), unknown: id() };
    const repeat = ask('repeat');
    await sdk.chat.completions.create({ model: 'fast', messages: repeat, user: 'end-user-7' }, { headers: { 'x-request-id': cases.plain } });
    for await (const c of await sdk.chat.completions.create({ model: 'fast', messages: ask('s'), stream: true }, { headers: { 'x-request-id': cases.streamed } })) void c;
    await sdk.chat.completions.create({ model: 'fast', messages: repeat }, { headers: { 'x-request-id': cases.cached } });
    await sdk.chat.completions.create({ model: 'flaky', messages: ask('f') }, { headers: { 'x-request-id': cases.fallback } });
    platform.openai.script('gpt-4o-mini', { kind: 'error', status: 500 });
    await sdk.chat.completions.create({ model: 'flaky', messages: ask('x') }, { headers: { 'x-request-id': cases.failed }, maxRetries: 0 }).catch(() => undefined);
    await sdk.chat.completions.create({ model: 'nope/none', messages: ask('x') }, { headers: { 'x-request-id': cases.unknown } }).catch(() => undefined);
    platform.openai.script('gpt-4o-mini', { kind: 'reply', text: 'ok' });

    const [plain] = await platform.eventsOf(cases.plain);
    expect(plain.type).toBe('ai-gateway.completion.completed');
    expect(plain.subject).toBe(dev.id);
    expect(plain.data).toMatchObject({
      status: 'ok',
      requestedModel: 'fast',
      alias: 'fast',
      cache: 'miss',
      endUser: 'end-user-7',
      usage: { promptTokens: 10, completionTokens: 2, totalTokens: 12, provider: 'groq', model: 'groq/llama-3.1-8b-instant' },
    });
    expect(plain.data.usage.costUsd).toBeCloseTo((10 * 0.05 + 2 * 0.08) / 1e6, 12);
    expect(plain.data.usage.latencyMs).toBeGreaterThanOrEqual(0);
    expect(plain.data.timeToFirstTokenMs).toBeGreaterThan(0);
    const [streamed] = await platform.eventsOf(cases.streamed);
    expect(streamed.data).toMatchObject({ status: 'ok', stream: true });
    expect(streamed.data.timeToFirstTokenMs).toBeGreaterThan(0);
    expect((await platform.eventsOf(cases.cached))[0].data).toMatchObject({ cache: 'hit', usage: { cacheHit: true } });
    const [fallback] = await platform.eventsOf(cases.fallback);
    expect(fallback.data).toMatchObject({ status: 'ok', fallbacks: 1, usage: { model: 'openai/gpt-4o-mini' } });
    expect(fallback.data.usage.costUsd).toBeCloseTo((1000 * 0.15 + 1000 * 0.6) / 1e6, 12);
    expect((await platform.eventsOf(cases.failed))[0].data).toMatchObject({ status: 'error', errorCode: 'upstream_unavailable' });
    expect((await platform.eventsOf(cases.unknown))[0].data).toMatchObject({ status: 'error', errorCode: 'model_not_found' });
    for (const requestId of Object.values(cases)) expect(platform.events.filter((e) => e.data.requestId === requestId)).toHaveLength(1);
  });
});
