// Contract round-trip: every gRPC API is served and called over a real @grpc/grpc-js connection,
// loaded exactly the way services and the gateway load it (@grpc/proto-loader with
// PROTO_LOADER_OPTIONS). A message typed with the ts-proto interface must arrive field for field,
// so a mismatch between the generated TypeScript and what travels on the wire (value spelling,
// int64 as string, bytes, maps, presence of `optional` fields) fails here and not in production.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  GRPC_SERVICES,
  GrpcServiceName,
  PROTO_LOADER_OPTIONS,
  aiGatewayV1,
  codeAssistantV1,
  dockerManagerV1,
  integrationHubV1,
  protoFile,
  protoRoot,
  ragV1,
  securityV1,
} from '@aether/contracts';

const DEADLINE_MS = 5000;

type ServiceCtor = grpc.ServiceClientConstructor;
type AnyClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

function loadService(file: string, pkg: string, service: string): ServiceCtor | undefined {
  const definition = protoLoader.loadSync(file, { ...PROTO_LOADER_OPTIONS, includeDirs: [protoRoot()] });
  let node: unknown = grpc.loadPackageDefinition(definition);
  for (const part of [...pkg.split('.'), service]) node = (node as Record<string, unknown> | undefined)?.[part];
  return typeof node === 'function' ? (node as ServiceCtor) : undefined;
}

interface Harness {
  client: AnyClient;
  /** Requests the server received, per method, in order. */
  seen: Record<string, unknown[]>;
  close(): Promise<void>;
}

const harnesses: Harness[] = [];

/** Serves `app` on 127.0.0.1 (any free port) with canned answers, and connects a client. */
async function serve(
  app: GrpcServiceName,
  answers: { unary?: Record<string, unknown>; stream?: Record<string, unknown[]> },
): Promise<Harness> {
  const { package: pkg, service } = GRPC_SERVICES[app];
  const Ctor = loadService(protoFile(app), pkg, service);
  if (!Ctor) throw new Error(`${service} not found in ${protoFile(app)}`);
  const seen: Record<string, unknown[]> = {};
  const record = (method: string, request: unknown) => (seen[method] ??= []).push(request);
  const impl: grpc.UntypedServiceImplementation = {};
  for (const [method, response] of Object.entries(answers.unary ?? {})) {
    impl[method] = (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      record(method, call.request);
      cb(null, response);
    };
  }
  for (const [method, chunks] of Object.entries(answers.stream ?? {})) {
    impl[method] = (call: grpc.ServerWritableStream<unknown, unknown>) => {
      record(method, call.request);
      for (const chunk of chunks) call.write(chunk);
      call.end();
    };
  }
  const server = new grpc.Server();
  server.addService(Ctor.service, impl);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const client = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as AnyClient;
  const harness: Harness = {
    client,
    seen,
    close: async () => {
      client.close();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    },
  };
  harnesses.push(harness);
  return harness;
}

function unary<Res>(h: Harness, method: string, request: unknown): Promise<Res> {
  return new Promise((resolve, reject) =>
    h.client[method](request, { deadline: Date.now() + DEADLINE_MS }, (err: grpc.ServiceError | null, res: Res) =>
      err ? reject(err) : resolve(res),
    ),
  );
}

function serverStream<Res>(h: Harness, method: string, request: unknown): Promise<Res[]> {
  return new Promise((resolve, reject) => {
    const out: Res[] = [];
    const call = h.client[method](request, { deadline: Date.now() + DEADLINE_MS }) as grpc.ClientReadableStream<Res>;
    call.on('data', (chunk: Res) => out.push(chunk));
    call.on('error', reject);
    call.on('end', () => resolve(out));
  });
}

/**
 * proto-loader (oneofs: true) adds a virtual `_field: "field"` next to every proto3 `optional`
 * field that is set; it is not part of the TypeScript interface, so drop it before comparing.
 */
function withoutPresenceMarkers(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutPresenceMarkers);
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith('_') && v === k.slice(1)) continue;
    out[k] = withoutPresenceMarkers(v);
  }
  return out;
}

/** Asserts a message arrived field for field, with no field lost, added or changed in type. */
function expectRoundTrip(received: unknown, sent: unknown): void {
  expect(withoutPresenceMarkers(received)).toStrictEqual(withoutPresenceMarkers(normalizeBytes(sent)));
}

/** proto-loader decodes `bytes` as Buffer (a Uint8Array); compare the bytes, not the class. */
function normalizeBytes(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (Array.isArray(value)) return value.map(normalizeBytes);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalizeBytes(v)]));
}

afterAll(async () => {
  await Promise.all(harnesses.map((h) => h.close()));
});

describe('GRPC_SERVICES', () => {
  const expected: Record<string, { package: string; service?: string }> = {
    security: { package: 'aether.security.v1', service: 'SecurityService' },
    'ai-gateway': { package: 'aether.ai_gateway.v1', service: 'AiGatewayService' },
    'code-assistant': { package: 'aether.code_assistant.v1', service: 'CodeAssistantService' },
    'integration-hub': { package: 'aether.integration_hub.v1', service: 'IntegrationHubService' },
    'docker-manager': { package: 'aether.docker_manager.v1', service: 'DockerManagerService' },
    rag: { package: 'aether.rag.v1', service: 'RagService' },
    // Owned by other engineers: checked once their proto exists.
    'task-manager': { package: 'aether.task_manager.v1' },
    analytics: { package: 'aether.analytics.v1' },
  };
  const registry = GRPC_SERVICES as Record<string, { package: string; service: string; protoFile: string }>;

  it.each(Object.entries(expected))('lists %s with a loadable service', (app, want) => {
    const dir = app.replace(/-/g, '_');
    const file = `aether/${dir}/v1/${dir}.proto`;
    const mine = want.service !== undefined;
    if (!mine && !existsSync(join(protoRoot(), file))) return; // not written yet
    const entry = registry[app];
    expect(entry).toEqual({ package: want.package, service: want.service ?? expect.stringMatching(/Service$/), protoFile: file });
    const Ctor = loadService(join(protoRoot(), entry.protoFile), entry.package, entry.service);
    expect(Ctor?.service).toBeDefined();
  });

  it('has no service for api-gateway (it speaks REST only) and one entry per app', () => {
    expect(registry['api-gateway']).toBeUndefined();
    const apps = Object.keys(registry);
    expect(new Set(apps).size).toBe(apps.length);
    expect(apps).toEqual(expect.arrayContaining(['security', 'ai-gateway', 'code-assistant', 'integration-hub', 'docker-manager', 'rag']));
  });
});

describe('security contract', () => {
  it('round-trips ListApiKeys (nested page, repeated messages, empty optional strings)', async () => {
    const request: securityV1.ListApiKeysRequest = { page: { limit: 10, cursor: 'c1' } };
    const response: securityV1.ListApiKeysResponse = {
      items: [
        { id: 'k1', name: 'ci', prefix: 'ak_ab12', scopes: ['tasks:read', 'tasks:write'], createdAt: '2025-01-01T00:00:00.000Z', expiresAt: '', lastUsedAt: '' },
        { id: 'k2', name: 'bot', prefix: 'ak_cd34', scopes: [], createdAt: '2025-01-02T00:00:00.000Z', expiresAt: '2026-01-01T00:00:00.000Z', lastUsedAt: '2025-02-01T00:00:00.000Z' },
      ],
      nextCursor: '',
    };
    const h = await serve('security', { unary: { ListApiKeys: response } });
    expectRoundTrip(await unary(h, 'listApiKeys', request), response);
    expectRoundTrip(h.seen.ListApiKeys[0], request);
  });
});

describe('ai-gateway contract', () => {
  const request: aiGatewayV1.ChatCompletionRequest = {
    model: 'fast',
    messages: [
      { role: 'system', content: 'Be brief.', name: '', toolCallId: '', toolCalls: [] },
      { role: 'assistant', content: '', name: '', toolCallId: '', toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' }] },
      { role: 'tool', content: '{"temp":3}', name: 'get_weather', toolCallId: 'call_1', toolCalls: [] },
    ],
    // 0 must survive as "set" (presence), while topP stays unset.
    temperature: 0,
    maxTokens: 256,
    stop: ['\n\n', 'END'],
    tools: [{ name: 'get_weather', description: 'Weather by city', parametersJson: '{"type":"object","properties":{"city":{"type":"string"}}}' }],
    toolChoiceJson: '"auto"',
    responseFormatJson: '',
    user: 'end-user-7',
  };
  const usage: aiGatewayV1.Usage = {
    promptTokens: 42, completionTokens: 7, totalTokens: 49, costUsd: 0.000123, latencyMs: 350, provider: 'groq', model: 'groq/llama-3.1-8b-instant', cacheHit: false, unpriced: false,
  };
  const rateLimit: aiGatewayV1.RateLimitState = {
    limitRequests: 120, remainingRequests: 119, limitTokens: 200000, remainingTokens: 195000, resetRequestsMs: 30500, resetTokensMs: 30500,
  };

  it('round-trips ChatCompletion, keeping presence of optional numbers', async () => {
    const response: aiGatewayV1.ChatCompletionResponse = {
      id: 'chatcmpl-1',
      model: 'groq/llama-3.1-8b-instant',
      createdAt: '2025-03-01T12:00:00.000Z',
      message: { role: 'assistant', content: 'It is 3 °C in Oslo.', name: '', toolCallId: '', toolCalls: [] },
      finishReason: 'stop',
      usage,
      cache: 'miss',
      rateLimit,
    };
    const h = await serve('ai-gateway', { unary: { ChatCompletion: response } });
    const got = await unary<aiGatewayV1.ChatCompletionResponse>(h, 'chatCompletion', request);
    expectRoundTrip(got, response);
    expect(got.finishReason).toBe('stop');

    const seen = h.seen.ChatCompletion[0] as aiGatewayV1.ChatCompletionRequest;
    expectRoundTrip(seen, request);
    expect(seen.messages.map((m) => m.role)).toEqual(['system', 'assistant', 'tool']);
    expect(seen.temperature).toBe(0);
    expect(seen.topP).toBeUndefined();
  });

  it('streams StreamChatCompletion chunks in order, usage only on the last', async () => {
    const base = { id: 'chatcmpl-2', model: 'openai/gpt-4o-mini', createdAt: '2025-03-01T12:00:00.000Z' };
    const chunks: aiGatewayV1.ChatCompletionChunk[] = [
      { ...base, role: 'assistant', content: 'Hel', toolCalls: [], finishReason: '', usage: undefined, keepAlive: false, cache: 'miss', rateLimit },
      { ...base, role: '', content: 'lo', toolCalls: [{ index: 0, id: 'call_9', name: 'lookup', arguments: '{"q":' }], finishReason: '', usage: undefined, keepAlive: false, cache: '', rateLimit: undefined },
      { ...base, role: '', content: '', toolCalls: [], finishReason: 'length', usage: { ...usage, cacheHit: true, costUsd: 0 }, keepAlive: false, cache: '', rateLimit: undefined },
    ];
    const h = await serve('ai-gateway', { stream: { StreamChatCompletion: chunks } });
    const got = await serverStream<aiGatewayV1.ChatCompletionChunk>(h, 'streamChatCompletion', request);
    expect(got).toHaveLength(3);
    // An unset message field decodes as null (proto-loader defaults: true), where the TS type
    // says undefined: consumers must test it with `!= null` / truthiness, not `!== undefined`.
    expect(got[0].usage).toBeNull();
    expectRoundTrip(got.map((c) => ({ ...c, usage: c.usage ?? undefined, rateLimit: c.rateLimit ?? undefined })), chunks);
    expectRoundTrip(h.seen.StreamChatCompletion[0], request);
  });

  it('round-trips CreateEmbeddings vectors as 32-bit floats', async () => {
    const req: aiGatewayV1.CreateEmbeddingsRequest = { model: 'openai/text-embedding-3-small', inputs: ['a', 'b'], user: '' };
    const response: aiGatewayV1.CreateEmbeddingsResponse = {
      model: 'openai/text-embedding-3-small',
      // Exactly representable in float32, so equality is exact.
      embeddings: [{ index: 0, vector: [0.5, -0.25, 1] }, { index: 1, vector: [0, 0.125, -2] }],
      usage: { ...usage, completionTokens: 0 },
      rateLimit,
    };
    const h = await serve('ai-gateway', { unary: { CreateEmbeddings: response } });
    expectRoundTrip(await unary(h, 'createEmbeddings', req), response);
    expectRoundTrip(h.seen.CreateEmbeddings[0], req);
  });
});

describe('code-assistant contract', () => {
  it('round-trips Review with findings of every severity, the analyzers and the llm flag (false and unset differ)', async () => {
    const request: codeAssistantV1.ReviewRequest = {
      files: [{ path: 'src/a.ts', content: 'const x = 1;\n' }, { path: 'src/b.py', content: 'import os\n' }],
      diff: '--- a/src/a.ts\n+++ b/src/a.ts\n@@ -0,0 +1 @@\n+const x = 1;\n',
      language: '',
      focus: 'security',
      llm: false,
    };
    const response: codeAssistantV1.ReviewResponse = {
      summary: 'Two small issues.',
      findings: [
        { path: 'src/a.ts', line: 1, endLine: 0, column: 7, severity: 'warning', rule: 'eslint/no-unused-vars', source: 'eslint', message: "'x' is never used", suggestion: '' },
        { path: 'src/b.py', line: 1, endLine: 3, column: 0, severity: 'error', rule: 'llm/unused-import', source: 'llm', message: 'os is unused', suggestion: 'Remove the import.' },
        { path: 'src/b.py', line: 2, endLine: 0, column: 0, severity: 'info', rule: 'ruff/E501', source: 'ruff', message: 'fine', suggestion: '' },
      ],
      analyzers: [
        { name: 'eslint', version: '9.39.5', files: 1, durationMs: 12, error: '' },
        { name: 'llm', version: '', files: 2, durationMs: 0, error: 'no model is configured' },
      ],
    };
    const h = await serve('code-assistant', { unary: { Review: response } });
    const got = await unary<codeAssistantV1.ReviewResponse>(h, 'review', request);
    expectRoundTrip(got, response);
    expect(got.findings.map((f) => f.severity)).toEqual(['warning', 'error', 'info']);
    expectRoundTrip(h.seen.Review[0], request);
    await unary(h, 'review', { ...request, llm: undefined });
    expect((h.seen.Review[1] as codeAssistantV1.ReviewRequest).llm).toBeUndefined();
  });
});

describe('integration-hub contract', () => {
  it('round-trips IngestWebhook with the raw body bytes and headers untouched', async () => {
    // Not valid UTF-8 on purpose: signatures are over raw bytes, so nothing may re-encode them.
    const body = new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0xff, 0xfe, 0x00, 0x7d]);
    const request: integrationHubV1.IngestWebhookRequest = {
      provider: 'github',
      body,
      headers: { 'x-github-event': 'pull_request', 'x-github-delivery': 'd-123', 'x-hub-signature-256': 'sha256=abc' },
      receivedAt: '2025-03-01T12:00:00.000Z',
      connectionId: 'c1',
    };
    const response: integrationHubV1.IngestWebhookResponse = {
      accepted: true, deliveryId: 'd-123', duplicate: false, eventType: 'integration-hub.github.pull_request', replyJson: '',
    };
    const h = await serve('integration-hub', { unary: { IngestWebhook: response } });
    expectRoundTrip(await unary(h, 'ingestWebhook', request), response);
    const seen = h.seen.IngestWebhook[0] as integrationHubV1.IngestWebhookRequest;
    expectRoundTrip(seen, request);
    expect(Buffer.compare(Buffer.from(seen.body), Buffer.from(body))).toBe(0);
    expect(seen.provider).toBe('github');
  });

  it('round-trips CreateRule, keeping enabled=false as set', async () => {
    const request: integrationHubV1.CreateRuleRequest = {
      name: 'notify done',
      on: 'task-manager.task.*',
      action: { kind: 'message', connectionId: 'c1', paramsJson: '{"channel":"#dev","text":"{{data.title}} done"}' },
      enabled: false,
      filterJson: '',
    };
    const response: integrationHubV1.Rule = {
      id: 'r1', name: 'notify done', on: 'task-manager.task.*', action: request.action, enabled: false,
      createdAt: '2025-03-01T12:00:00.000Z', updatedAt: '2025-03-01T12:00:00.000Z', filterJson: '',
    };
    const h = await serve('integration-hub', { unary: { CreateRule: response } });
    expectRoundTrip(await unary(h, 'createRule', request), response);
    const seen = h.seen.CreateRule[0] as integrationHubV1.CreateRuleRequest;
    expectRoundTrip(seen, request);
    expect(seen.enabled).toBe(false);
  });
});

describe('docker-manager contract', () => {
  it('round-trips ListContainers (status filter, label filters, labels map, ports)', async () => {
    const request: dockerManagerV1.ListContainersRequest = {
      page: { limit: 2, cursor: '' }, status: 'running', labels: ['aether.managed=true', 'team'],
    };
    const container: dockerManagerV1.Container = {
      id: 'a'.repeat(64), name: 'web', image: 'busybox:latest', state: 'running', status: 'Up 5 minutes',
      labels: { 'aether.managed': 'true', team: 'core' },
      ports: [{ privatePort: 8080, publicPort: 18080, protocol: 'tcp', ip: '0.0.0.0' }, { privatePort: 53, publicPort: 0, protocol: 'udp', ip: '' }],
      createdAt: '2025-03-01T12:00:00.000Z', startedAt: '2025-03-01T12:00:01.000Z', finishedAt: '', exitCode: 0, restartCount: 2,
      mounts: [{ type: 'volume', name: 'data', destination: '/data', readOnly: true }], health: 'healthy',
    };
    const response: dockerManagerV1.ListContainersResponse = { items: [container], nextCursor: 'next' };
    const h = await serve('docker-manager', { unary: { ListContainers: response } });
    expectRoundTrip(await unary(h, 'listContainers', request), response);
    expectRoundTrip(h.seen.ListContainers[0], request);
  });

  it('round-trips GetStats with int64 counters as strings beyond 2^53', async () => {
    const stats: dockerManagerV1.ContainerStats = {
      id: 'abc', readAt: '2025-03-01T12:00:00.000Z', cpuPercent: 250.5, onlineCpus: 4,
      memoryUsageBytes: '104857600', memoryLimitBytes: '9223372036854771712', memoryPercent: 0.0000113,
      networkRxBytes: '9007199254740993', networkTxBytes: '0', blockReadBytes: '1', blockWriteBytes: '2', pids: 7,
    };
    const h = await serve('docker-manager', { unary: { GetStats: stats } });
    const got = await unary<dockerManagerV1.ContainerStats>(h, 'getStats', { id: 'abc' });
    expectRoundTrip(got, stats);
    expect(typeof got.memoryLimitBytes).toBe('string');
  });

  it('streams StreamLogs chunks of both streams; tail=0 stays set', async () => {
    const request: dockerManagerV1.StreamLogsRequest = { id: 'abc', follow: true, tail: 0, since: '', timestamps: true };
    const chunks: dockerManagerV1.LogChunk[] = [
      { stream: 'stdout', text: 'listening on :8080\n', timestamp: '2025-03-01T12:00:00.000000001Z' },
      { stream: 'stderr', text: 'warn: x\nwarn: y\n', timestamp: '2025-03-01T12:00:01.000Z' },
      { stream: 'stdout', text: 'ünïcode ✓\n', timestamp: '' },
    ];
    const h = await serve('docker-manager', { stream: { StreamLogs: chunks } });
    expectRoundTrip(await serverStream(h, 'streamLogs', request), chunks);
    const seen = h.seen.StreamLogs[0] as dockerManagerV1.StreamLogsRequest;
    expectRoundTrip(seen, request);
    expect(seen.tail).toBe(0);

    // Unset tail ("all lines") must stay distinguishable from 0.
    await serverStream(h, 'streamLogs', { id: 'abc', follow: false, since: '', timestamps: false });
    expect((h.seen.StreamLogs[1] as dockerManagerV1.StreamLogsRequest).tail).toBeUndefined();
  });
});

describe('rag contract', () => {
  it('round-trips IngestDocument with binary content and metadata', async () => {
    const request: ragV1.IngestDocumentRequest = {
      collection: 'docs', title: 'Guide', content: new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x00, 0xff]), mimeType: 'application/pdf',
      metadata: { lang: 'en', team: 'core' }, sourceUrl: '',
    };
    const response: ragV1.IngestDocumentResponse = {
      id: 'd1', collection: 'docs', title: 'Guide', chunks: 12, contentHash: 'sha256:' + 'f'.repeat(64), unchanged: false,
    };
    const h = await serve('rag', { unary: { IngestDocument: response } });
    expectRoundTrip(await unary(h, 'ingestDocument', request), response);
    expectRoundTrip(h.seen.IngestDocument[0], request);
  });

  it('round-trips Search with the mode and scored results', async () => {
    const request: ragV1.SearchRequest = { collection: 'docs', query: 'how to deploy', k: 3, filter: { lang: 'en' }, mode: 'hybrid', filters: [] };
    const response: ragV1.SearchResponse = {
      results: [
        { documentId: 'd1', chunkId: 'd1:0', title: 'Guide', text: 'Run helm install.', score: 0.8731, metadata: { lang: 'en' }, headingPath: ['Install'], pageStart: 2, pageEnd: 3 },
        { documentId: 'd2', chunkId: 'd2:4', title: 'FAQ', text: 'Use the chart.', score: 0.5, metadata: {}, headingPath: [], pageStart: 0, pageEnd: 0 },
      ],
    };
    const h = await serve('rag', { unary: { Search: response } });
    expectRoundTrip(await unary(h, 'search', request), response);
    const seen = h.seen.Search[0] as ragV1.SearchRequest;
    expectRoundTrip(seen, request);
    expect(seen.mode).toBe('hybrid');
  });

  it('streams StreamAnswer deltas then citations on the last chunk', async () => {
    const request: ragV1.AnswerRequest = { collection: 'docs', question: 'How to deploy?', k: 0, model: '', filter: {}, mode: '', filters: [] };
    const chunks: ragV1.AnswerChunk[] = [
      { text: 'Use ', citations: [], model: 'openai/gpt-4o-mini', done: false, grounded: false, droppedCitations: 0 },
      { text: 'helm [1].', citations: [], model: 'openai/gpt-4o-mini', done: false, grounded: false, droppedCitations: 0 },
      { text: '', citations: [{ documentId: 'd1', chunkId: 'd1:0', title: 'Guide', quote: 'Run helm install.' }], model: 'openai/gpt-4o-mini', done: true, grounded: true, droppedCitations: 1 },
    ];
    const h = await serve('rag', { stream: { StreamAnswer: chunks } });
    expectRoundTrip(await serverStream(h, 'streamAnswer', request), chunks);
    expectRoundTrip(h.seen.StreamAnswer[0], request);
  });
});
