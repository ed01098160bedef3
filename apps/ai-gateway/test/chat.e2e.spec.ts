/**
 * The OpenAI-compatible chat API end to end, with the official `openai` SDK as the client:
 * api-gateway and ai-gateway as real processes (dist/), fake OpenAI / OpenAI-compatible /
 * Anthropic servers speaking their real wire protocols. Run `npm run build` first.
 */
import { randomUUID } from 'node:crypto';
import OpenAI from 'openai';
import type { TestUser } from '@aether/testing';
import { AiPlatform } from './fakes/platform';

jest.setTimeout(60_000);

const platform = new AiPlatform();
let dev: TestUser;
let sdk: OpenAI;

beforeAll(async () => {
  await platform.start();
  dev = await platform.identities.user('developer');
  sdk = platform.client(dev).sdk;
});

afterAll(async () => {
  await platform.stop();
});

const rid = () => randomUUID();
const ask = (text: string) => [{ role: 'user' as const, content: `${text} ${randomUUID()}` }];

async function collect(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>) {
  const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
  for await (const c of stream) chunks.push(c);
  return chunks;
}
const textOf = (chunks: OpenAI.Chat.Completions.ChatCompletionChunk[]) => chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');

describe('chat completions through the gateway', () => {
  it('answers a plain and a streamed completion with the same text, naming the provider that served', async () => {
    platform.groq.script('llama-3.1-8b-instant', { kind: 'reply', text: 'The quick brown fox jumps over the lazy dog.' });
    const { data, response } = await sdk.chat.completions.create({ model: 'fast', messages: ask('plain') }).withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.choices[0].message.content).toBe('The quick brown fox jumps over the lazy dog.');
    expect(data.choices[0].finish_reason).toBe('stop');
    expect(data.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 8, total_tokens: 19 });
    expect(response.headers.get('x-aether-provider')).toBe('groq/llama-3.1-8b-instant');
    expect(response.headers.get('x-aether-cache')).toBe('miss');
    expect(response.headers.get('x-request-id')).toBeTruthy();
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('100000');
    expect(Number(response.headers.get('x-ratelimit-remaining-requests'))).toBeLessThan(100000);
    expect(response.headers.get('x-ratelimit-limit-tokens')).toBe('10000000');
    expect(response.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+(\.\d+)?s$/);

    const { data: stream, response: sres } = await sdk.chat.completions.create({ model: 'fast', messages: ask('streamed'), stream: true }).withResponse();
    expect(sres.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(sres.headers.get('x-aether-provider')).toBe('groq/llama-3.1-8b-instant');
    const chunks = await collect(stream);
    expect(textOf(chunks)).toBe('The quick brown fox jumps over the lazy dog.');
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe('stop');
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    // The provider was asked for usage even though the client was not.
    expect(platform.groq.requests.at(-1)!.body.stream_options).toEqual({ include_usage: true });
  });

  it('honours stream_options.include_usage with a final chunk holding choices: [] and the usage', async () => {
    platform.openai.script('gpt-4o-mini', { kind: 'reply', text: 'one two three', usage: { prompt: 5, completion: 3 } });
    const chunks = await collect(await sdk.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: ask('usage'), stream: true, stream_options: { include_usage: true } }));
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({ prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 });
    expect(chunks.at(-2)!.choices[0].finish_reason).toBe('stop');
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
  });

  it('reassembles streamed tool calls (OpenAI-compatible provider)', async () => {
    const args = JSON.stringify({ city: 'Paris', unit: 'celsius' });
    platform.openai.script('gpt-4o-mini', { kind: 'reply', toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: args }] });
    const runner = sdk.chat.completions.stream({
      model: 'openai/gpt-4o-mini',
      messages: ask('weather'),
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
    });
    const final = await runner.finalChatCompletion();
    expect(final.choices[0].finish_reason).toBe('tool_calls');
    expect(final.choices[0].message.tool_calls).toEqual([{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: args } }]);
    expect(platform.openai.requests.at(-1)!.body.tools[0]).toEqual({
      type: 'function',
      function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
    });
  });

  it('maps Anthropic both ways: system, tools, tool_use/tool_result, stop reasons, usage, streaming events', async () => {
    const args = JSON.stringify({ city: 'Oslo' });
    platform.anthropic.script('claude-3-5-haiku', { kind: 'reply', text: 'Let me look.', toolCalls: [{ id: 'toolu_1', name: 'get_weather', arguments: args }], usage: { prompt: 30, completion: 9 } });
    const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [{ type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object' } } }];
    const plain = await sdk.chat.completions.create({
      model: 'claude',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: `weather? ${rid()}` },
      ],
      tools,
      tool_choice: 'required',
      max_tokens: 100,
      temperature: 0.2,
    });
    expect(plain.choices[0].message.content).toBe('Let me look.');
    expect(plain.choices[0].message.tool_calls).toEqual([{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: args } }]);
    expect(plain.choices[0].finish_reason).toBe('tool_calls');
    expect(plain.usage).toMatchObject({ prompt_tokens: 30, completion_tokens: 9 });
    const sent = platform.anthropic.requests.at(-1)!;
    expect(sent.headers['anthropic-version']).toBe('2023-06-01');
    expect(sent.body).toMatchObject({
      model: 'claude-3-5-haiku',
      system: 'Be brief.',
      max_tokens: 100,
      temperature: 0.2,
      tools: [{ name: 'get_weather', description: 'Weather', input_schema: { type: 'object' } }],
      tool_choice: { type: 'any' },
    });

    // The tool's answer goes back as a tool_result block; the stream comes back as chunks.
    platform.anthropic.script('claude-3-5-haiku', { kind: 'reply', text: 'It is sunny in Oslo.', finishReason: 'max_tokens', usage: { prompt: 40, completion: 6 } });
    const chunks = await collect(
      await sdk.chat.completions.create({
        model: 'anthropic/claude-3-5-haiku',
        stream: true,
        stream_options: { include_usage: true },
        messages: [
          { role: 'user', content: `weather? ${rid()}` },
          { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: args } }] },
          { role: 'tool', tool_call_id: 'toolu_1', content: '{"sky":"sunny"}' },
        ],
        tools,
      }),
    );
    expect(textOf(chunks)).toBe('It is sunny in Oslo.');
    expect(chunks.at(-2)!.choices[0].finish_reason).toBe('length');
    expect(chunks.at(-1)!.usage).toEqual({ prompt_tokens: 40, completion_tokens: 6, total_tokens: 46 });
    const second = platform.anthropic.requests.at(-1)!.body;
    expect(second.max_tokens).toBe(4096);
    expect(second.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: expect.stringContaining('weather?') }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Oslo' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '{"sky":"sunny"}' }] },
    ]);

    // Streamed Anthropic tool_use (input_json_delta) reassembles into one tool call.
    platform.anthropic.script('claude-3-5-haiku', { kind: 'reply', toolCalls: [{ id: 'toolu_2', name: 'get_weather', arguments: JSON.stringify({ city: 'Bergen', days: 3 }) }] });
    const final = await sdk.chat.completions.stream({ model: 'claude', messages: ask('tools'), tools }).finalChatCompletion();
    expect(final.choices[0].message.tool_calls?.[0]).toMatchObject({ id: 'toolu_2', function: { name: 'get_weather', arguments: '{"city":"Bergen","days":3}' } });
    expect(final.choices[0].finish_reason).toBe('tool_calls');
  });
});

describe('routing: retries, fallbacks, no fallback on a plain 400', () => {
  it('falls back on 429 (after honouring a short Retry-After) and on 500', async () => {
    platform.groq.script('flaky', { kind: 'error', status: 429, headers: { 'retry-after': '0' } });
    platform.openai.script('gpt-4o-mini', { kind: 'reply', text: 'from openai' });
    const before = platform.groq.requestsFor('flaky').length;
    const { data, response } = await sdk.chat.completions.create({ model: 'flaky', messages: ask('429') }).withResponse();
    expect(data.choices[0].message.content).toBe('from openai');
    expect(response.headers.get('x-aether-provider')).toBe('openai/gpt-4o-mini');
    expect(platform.groq.requestsFor('flaky').length - before).toBe(2); // one retry, then fallback

    // A Retry-After longer than the gateway waits: no retry, straight to the next target.
    platform.groq.script('flaky', { kind: 'error', status: 429, headers: { 'retry-after': '30' } });
    const before2 = platform.groq.requestsFor('flaky').length;
    await sdk.chat.completions.create({ model: 'flaky', messages: ask('429-long') });
    expect(platform.groq.requestsFor('flaky').length - before2).toBe(1);

    platform.groq.script('flaky', { kind: 'error', status: 500 });
    const streamed = await collect(await sdk.chat.completions.create({ model: 'flaky', messages: ask('500'), stream: true }));
    expect(textOf(streamed)).toBe('from openai'); // the failure before the first token is invisible
    expect(streamed[0].model).toBe('openai/gpt-4o-mini');
  });

  it('falls back on a timeout and on a refused connection', async () => {
    platform.groq.script('hangs', { kind: 'hang' });
    platform.openai.script('gpt-4o-mini', { kind: 'reply', text: 'rescued' });
    const started = Date.now();
    const { data, response } = await sdk.chat.completions.create({ model: 'timeout', messages: ask('timeout') }).withResponse();
    expect(data.choices[0].message.content).toBe('rescued');
    expect(response.headers.get('x-aether-provider')).toBe('openai/gpt-4o-mini');
    expect(Date.now() - started).toBeLessThan(5000); // 2 × 800 ms (timeoutMs) + backoff

    const refused = await sdk.chat.completions.create({ model: 'refused', messages: ask('refused') }).withResponse();
    expect(refused.data.choices[0].message.content).toBe('rescued');
    expect(refused.response.headers.get('x-aether-provider')).toBe('openai/gpt-4o-mini');
  });

  it('does not fall back on a plain 400: the provider error reaches the client as invalid_request_error', async () => {
    platform.groq.script('strict', { kind: 'error', status: 400, message: "Invalid 'messages[0].content': too weird", code: 'invalid_value' });
    const before = platform.openai.requestsFor('gpt-4o-mini').length;
    const { sdk: once, attempts } = platform.client(dev);
    const err = await once.chat.completions.create({ model: 'strict', messages: ask('400') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_request_error' });
    expect((err as Error).message).toContain('too weird');
    expect(platform.openai.requestsFor('gpt-4o-mini').length).toBe(before);
    expect(attempts()).toBe(1);
  });

  it('sends a context-length error to a larger-context model the alias names, skipping smaller ones', async () => {
    const ctxError = { kind: 'error' as const, status: 400, message: "This model's maximum context length is 8192 tokens", code: 'context_length_exceeded' };
    platform.groq.script('small-ctx', ctxError);
    platform.openai.script('mid-ctx', { ...ctxError, message: 'maximum context length is 128000 tokens' });
    platform.openai.script('gpt-4.1', { kind: 'reply', text: 'big window' });
    const llamaBefore = platform.groq.requestsFor('llama-3.1-8b-instant').length;
    const { data, response } = await sdk.chat.completions.create({ model: 'long', messages: ask('long') }).withResponse();
    expect(data.choices[0].message.content).toBe('big window');
    expect(response.headers.get('x-aether-provider')).toBe('openai/gpt-4.1');
    // llama (8k) comes before gpt-4.1 in the alias but is smaller than what already failed: skipped.
    expect(platform.groq.requestsFor('llama-3.1-8b-instant').length).toBe(llamaBefore);
    expect(platform.groq.requestsFor('small-ctx').length).toBe(1); // never retried

    // No larger model in the alias: the client gets the context-length error (400), not a 5xx.
    const err = await sdk.chat.completions.create({ model: 'short', messages: ask('short') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('context_length_exceeded');
  });

  it('turns a failure after the first token into an error event, never a silent stop', async () => {
    platform.groq.script('breaking', { kind: 'reply', text: 'This answer will break half way through.', failAfterChunks: 2, chunkDelayMs: 30 });
    const stream = await sdk.chat.completions.create({ model: 'breaking', messages: ask('break'), stream: true });
    const seen: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    const err = await (async () => {
      for await (const c of stream) seen.push(c);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('upstream_unavailable');
    expect(textOf(seen)).toBe('This answer '); // what came before the break, and nothing claiming to be the end
    expect(seen.some((c) => c.choices[0]?.finish_reason)).toBe(false);

    // The same from Anthropic: its `error` event mid-stream.
    platform.anthropic.script('claude-3-5-haiku', { kind: 'reply', text: 'Anthropic will also break here.', failAfterChunks: 1, chunkDelayMs: 30 });
    const err2 = await (async () => {
      for await (const c of await sdk.chat.completions.create({ model: 'claude', messages: ask('break2'), stream: true })) void c;
    })().catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(OpenAI.APIError);
  });

  it('balances a weighted step across its deployments', async () => {
    platform.groq.script('llama-3.1-8b-instant', { kind: 'reply', text: 'g' });
    platform.openai.script('gpt-4o-mini', { kind: 'reply', text: 'o' });
    const served: string[] = [];
    for (let i = 0; i < 40; i++) {
      const r = await sdk.chat.completions.create({ model: 'balanced', messages: ask(`w${i}`) });
      served.push(r.model);
    }
    const groq = served.filter((m) => m.startsWith('groq/')).length;
    expect(groq).toBeGreaterThan(20); // weight 3 of 4: ~30 of 40
    expect(groq).toBeLessThan(40);
  });
});

describe('errors in OpenAI shape on /v1', () => {
  it('answers an unknown model with 404 model_not_found, a bad body with 400, no credentials with 401', async () => {
    const nf = await sdk.chat.completions.create({ model: 'nope/nothing', messages: ask('x') }).catch((e: unknown) => e);
    expect(nf).toBeInstanceOf(OpenAI.NotFoundError);
    expect((nf as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');

    const res = await fetch(`${platform.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { ...dev.bearer(), 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'x' }], temperature: 'hot' }),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ error: { message: 'temperature must be a number', type: 'invalid_request_error', param: 'temperature', code: 'invalid_request_error' } });

    const unknown = await fetch(`${platform.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { ...dev.bearer(), 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fast', messages: [{ role: 'wizard', content: 'x' }] }),
    });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { param: string } }).error.param).toBe('messages[0].role');

    const anon = await fetch(`${platform.baseUrl}/models`);
    expect(anon.status).toBe(401);
    expect(((await anon.json()) as { error: unknown }).error).toMatchObject({ type: 'authentication_error', code: 'invalid_api_key' });
  });

  it('lists the aliases and configured models, and finds one by id', async () => {
    const list = await sdk.models.list();
    const ids = list.data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['fast', 'claude', 'openai/gpt-4o-mini', 'local/use-512']));
    expect(list.data.find((m) => m.id === 'openai/gpt-4o-mini')).toMatchObject({ object: 'model', owned_by: 'openai' });
    expect((await sdk.models.retrieve('openai/gpt-4o-mini')).id).toBe('openai/gpt-4o-mini');
    expect((await sdk.models.retrieve('fast')).owned_by).toBe('aether');
    expect(await sdk.models.retrieve('nope').catch((e: unknown) => e)).toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe('response cache', () => {
  it('misses, then hits (no provider call, cost 0), replays a stream as valid SSE with its usage, and is bypassed on request', async () => {
    platform.openai.script('gpt-4o-mini', { kind: 'reply', text: 'cache me if you can', usage: { prompt: 9, completion: 4 } });
    const messages = ask('cache');
    const first = await sdk.chat.completions.create({ model: 'openai/gpt-4o-mini', messages, temperature: 0 }, { headers: { 'x-request-id': rid() } }).withResponse();
    expect(first.response.headers.get('x-aether-cache')).toBe('miss');
    const calls = platform.openai.requestsFor('gpt-4o-mini').length;

    const hitId = rid();
    const hit = await sdk.chat.completions.create({ model: 'openai/gpt-4o-mini', messages, temperature: 0 }, { headers: { 'x-request-id': hitId } }).withResponse();
    expect(hit.response.headers.get('x-aether-cache')).toBe('hit');
    expect(hit.data.choices[0].message.content).toBe('cache me if you can');
    expect(platform.openai.requestsFor('gpt-4o-mini').length).toBe(calls);
    const [event] = await platform.eventsOf(hitId);
    expect(event.data).toMatchObject({ cache: 'hit', status: 'ok', usage: { cacheHit: true, promptTokens: 9, completionTokens: 4 } });
    expect(event.data.usage.costUsd ?? 0).toBe(0);

    const { data: stream, response } = await sdk.chat.completions.create({ model: 'openai/gpt-4o-mini', messages, temperature: 0, stream: true, stream_options: { include_usage: true } }).withResponse();
    expect(response.headers.get('x-aether-cache')).toBe('hit');
    const chunks = await collect(stream);
    expect(textOf(chunks)).toBe('cache me if you can');
    expect(chunks.at(-1)!.usage).toEqual({ prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 });
    expect(platform.openai.requestsFor('gpt-4o-mini').length).toBe(calls);

    // Another tenant never sees this user's answers.
    const other = platform.client(await platform.identities.user('developer')).sdk;
    const theirs = await other.chat.completions.create({ model: 'openai/gpt-4o-mini', messages, temperature: 0 }).withResponse();
    expect(theirs.response.headers.get('x-aether-cache')).toBe('miss');

    const bypass = await sdk.chat.completions.create({ model: 'openai/gpt-4o-mini', messages, temperature: 0 }, { headers: { 'x-aether-cache': 'bypass' } }).withResponse();
    expect(bypass.response.headers.get('x-aether-cache')).toBe('bypass');
    const noCache = await sdk.chat.completions.create({ model: 'openai/gpt-4o-mini', messages, temperature: 0 }, { headers: { 'cache-control': 'no-cache' } }).withResponse();
    expect(noCache.response.headers.get('x-aether-cache')).toBe('bypass');
    expect(platform.openai.requestsFor('gpt-4o-mini').length).toBe(calls + 3);

    // A streamed answer is cached too, and replayed to a plain request.
    platform.openai.script('gpt-4o-mini', { kind: 'reply', text: 'streamed then cached' });
    const m2 = ask('stream-cache');
    expect(textOf(await collect(await sdk.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: m2, stream: true })))).toBe('streamed then cached');
    const replay = await sdk.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: m2 }).withResponse();
    expect(replay.response.headers.get('x-aether-cache')).toBe('hit');
    expect(replay.data.choices[0].message.content).toBe('streamed then cached');
  });
});

describe('embeddings', () => {
  it('answers float and base64 (the SDK default) with the same vectors, for a provider and for local/use-512', async () => {
    const input = ['alpha beta', 'gamma'];
    const float = await sdk.embeddings.create({ model: 'openai/text-embedding-3-small', input, encoding_format: 'float' });
    const b64 = await sdk.embeddings.create({ model: 'openai/text-embedding-3-small', input }); // SDK asks base64 and decodes it
    expect(float.data.map((d) => d.embedding)).toEqual(b64.data.map((d) => d.embedding));
    expect(float.data[0].embedding).toHaveLength(8);
    expect(float.data[1].index).toBe(1);
    const raw = await fetch(`${platform.baseUrl}/embeddings`, {
      method: 'POST',
      headers: { ...dev.bearer(), 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'openai/text-embedding-3-small', input: 'alpha beta', encoding_format: 'base64' }),
    });
    const body = (await raw.json()) as { data: Array<{ embedding: string }> };
    expect(typeof body.data[0].embedding).toBe('string');
    const bytes = Buffer.from(body.data[0].embedding, 'base64');
    expect(Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4))).toEqual(float.data[0].embedding);

    const local = await sdk.embeddings.create({ model: 'local/use-512', input: ['The cat sat on the mat.', 'A feline rested on the rug.', 'Quarterly tax filing deadlines'] });
    expect(local.model).toBe('local/use-512');
    const [a, b, c] = local.data.map((d) => d.embedding);
    expect(a).toHaveLength(512);
    expect(Math.hypot(...a)).toBeCloseTo(1, 5);
    const dot = (x: number[], y: number[]) => x.reduce((s, v, i) => s + v * y[i], 0);
    expect(dot(a, b)).toBeGreaterThan(dot(a, c)); // similar sentences are closer
    expect(local.usage.prompt_tokens).toBeGreaterThan(0);
  });
});
