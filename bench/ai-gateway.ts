/**
 * AI gateway overhead: chat completions through api-gateway → ai-gateway → a fake OpenAI
 * provider, versus the same requests sent straight to the fake provider.
 *
 * - non-streamed: a fixed rate (open loop, autocannon) for 10 s per path, p50/p99 and the
 *   latency the platform adds; CPU time per request of each gateway process (from /proc);
 * - streamed: time to first token and the time between chunks (the provider sends 20 chunks
 *   10 ms apart), direct vs through the platform, and the delay added per chunk.
 *
 * Every request is different and sends `x-aether-cache: bypass`, so each one is routed, checked
 * against its limits (Redis reserve + settle), answered by the provider and recorded (event).
 *
 *   npm run bench -- ai-gateway
 *
 * Writes bench/results/ai-gateway.md.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { createTempVhost, startApp, TEST_REDIS_URL, TestIdentities, uniqueName, type StartedApp, type TempResource } from '@aether/testing';
import { FakeOpenAi } from '@aether/testing';
import { machineLine, writeResult } from './support/platform';

const RATE = 200;
const DURATION_S = 10;
const CONNECTIONS = 20;
const STREAMS = 200;
const STREAM_CONCURRENCY = 10;
const CHUNKS = 20;
const CHUNK_GAP_MS = 10;
const KEY = 'sk-bench';

const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');

/** User + system CPU seconds a process has used so far (Linux /proc). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function fixedRate(url: string, headers: Record<string, string>, model: string) {
  let n = 0;
  const r = await autocannon({
    url,
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json', 'x-aether-cache': 'bypass' },
    connections: CONNECTIONS,
    overallRate: RATE,
    duration: DURATION_S,
    requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify({ model, messages: [{ role: 'user', content: `question ${n++}` }], max_tokens: 16 }) }) }],
  });
  return { requests: r.requests.total, p50: r.latency.p50, p99: r.latency.p99, errors: r.non2xx + r.errors + r.timeouts, rps: Math.round(r.requests.total / r.duration) };
}

/** One streamed completion: time to first content chunk and the gaps between content chunks. */
async function oneStream(url: string, headers: Record<string, string>, model: string, i: number): Promise<{ ttft: number; gaps: number[] }> {
  const started = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json', 'x-aether-cache': 'bypass' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: `stream ${i}` }], stream: true }),
  });
  if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
  const decoder = new TextDecoder();
  let buffer = '';
  const arrivals: number[] = [];
  for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(part, { stream: true });
    let idx: number;
    while ((idx = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, idx);
      buffer = buffer.slice(idx + 2);
      if (/"content":"[^"]/.test(event)) arrivals.push(performance.now());
    }
  }
  return { ttft: arrivals[0] - started, gaps: arrivals.slice(1).map((t, k) => t - arrivals[k]) };
}

async function streams(url: string, headers: Record<string, string>, model: string) {
  const ttft: number[] = [];
  const gaps: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: STREAM_CONCURRENCY }, async () => {
      while (next < STREAMS) {
        const r = await oneStream(url, headers, model, next++);
        ttft.push(r.ttft);
        gaps.push(...r.gaps);
      }
    }),
  );
  ttft.sort((a, b) => a - b);
  gaps.sort((a, b) => a - b);
  return { ttftP50: percentile(ttft, 50), ttftP99: percentile(ttft, 99), gapP50: percentile(gaps, 50), gapP99: percentile(gaps, 99) };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-ai-'));
  const identities = await new TestIdentities().start();
  const provider = await new FakeOpenAi(KEY).start();
  const text = 'chunk '.repeat(CHUNKS).trim(); // 6-character pieces: one chunk per word
  provider.script('gpt-4o-mini', { kind: 'reply', text, chunkDelayMs: CHUNK_GAP_MS, usage: { prompt: 12, completion: CHUNKS } });
  provider.requests.length = 0;
  const resources: TempResource[] = [];
  let ai: StartedApp | undefined;
  let gateway: StartedApp | undefined;
  try {
    const vhost = await createTempVhost('bench_ai');
    resources.push(vhost);
    const config = join(dir, 'ai-gateway.yaml');
    writeFileSync(
      config,
      `providers:\n  openai: { kind: openai, baseUrl: ${provider.baseUrl}, apiKeyEnv: BENCH_OPENAI_KEY }\nmodels:\n  openai/gpt-4o-mini: { inputPerMTok: 0.15, outputPerMTok: 0.6, contextWindow: 128000 }\naliases:\n  fast: [openai/gpt-4o-mini]\nlimits:\n  developer: { usdPerDay: 1000000, tokensPerMinute: 2000000000, requestsPerMinute: 10000000 }\ncache: { ttlSeconds: 3600 }\n`,
    );
    const prefix = `${uniqueName('bench_ai')}:`;
    ai = await startApp('ai-gateway', {
      LOG_LEVEL: 'warn',
      AI_GATEWAY_CONFIG: config,
      BENCH_OPENAI_KEY: KEY,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      RABBITMQ_URL: vhost.url,
      AUTH_JWKS_URL: identities.jwksUrl,
    });
    gateway = await startApp('api-gateway', {
      LOG_LEVEL: 'warn',
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: `${prefix}gw:`,
      AUTH_JWKS_URL: identities.jwksUrl,
      AI_GATEWAY_GRPC_URL: ai.grpcAddress,
      SECURITY_GRPC_URL: '127.0.0.1:1',
      RATE_LIMIT_DEFAULT_POINTS: '100000000',
    });
    const user = await identities.user('developer');
    const viaUrl = `${gateway.httpUrl}/v1/chat/completions`;
    const directUrl = `${provider.baseUrl}/chat/completions`;
    const via = user.bearer();
    const direct = { authorization: `Bearer ${KEY}` };

    // Non-streamed answers come at once (no chunk delay); the stream script is set below.
    provider.script('gpt-4o-mini', { kind: 'reply', text: 'pong', usage: { prompt: 12, completion: 1 } });
    await autocannon({ url: viaUrl, method: 'POST', headers: { ...via, 'content-type': 'application/json', 'x-aether-cache': 'bypass' }, body: JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'warm' }] }), connections: 10, duration: 3 });
    await autocannon({ url: directUrl, method: 'POST', headers: { ...direct, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'warm' }] }), connections: 10, duration: 2 });

    const pids = { ai: ai.process.child.pid!, gw: gateway.process.child.pid! };
    const cpu0 = { ai: cpuSeconds(pids.ai), gw: cpuSeconds(pids.gw) };
    const viaFixed = await fixedRate(viaUrl, via, 'fast');
    const cpu1 = { ai: cpuSeconds(pids.ai), gw: cpuSeconds(pids.gw) };
    const directFixed = await fixedRate(directUrl, direct, 'gpt-4o-mini');
    const cpuPerRequestMs = { ai: ((cpu1.ai - cpu0.ai) * 1000) / viaFixed.requests, gw: ((cpu1.gw - cpu0.gw) * 1000) / viaFixed.requests };

    provider.script('gpt-4o-mini', { kind: 'reply', text, chunkDelayMs: CHUNK_GAP_MS, usage: { prompt: 12, completion: CHUNKS } });
    await streams(viaUrl, via, 'fast');
    const viaStream = await streams(viaUrl, via, 'fast');
    const directStream = await streams(directUrl, direct, 'gpt-4o-mini');

    await writeResult(
      'ai-gateway',
      `### AI gateway: POST /v1/chat/completions through the platform vs straight to the provider

Machine: ${machineLine()}. api-gateway (JWT ES256, edge rate limit in Redis) → gRPC → ai-gateway
(alias resolution, breaker check and budget reserve/settle in Redis, usage rollup and event to
RabbitMQ) → a fake OpenAI provider on loopback; the load generator and the fake share one process.
Every request differs and bypasses the cache. Latencies in ms.

| non-streamed, fixed ${RATE} req/s, ${DURATION_S} s | requests/s | p50 (ms) | p99 (ms) | errors |
| --- | ---: | ---: | ---: | ---: |
| through the platform | ${viaFixed.rps} | ${fmt(viaFixed.p50)} | ${fmt(viaFixed.p99)} | ${viaFixed.errors} |
| provider direct | ${directFixed.rps} | ${fmt(directFixed.p50)} | ${fmt(directFixed.p99)} | ${directFixed.errors} |
| **added** | | **${fmt(viaFixed.p50 - directFixed.p50)}** | **${fmt(viaFixed.p99 - directFixed.p99)}** | |

CPU time per request: ai-gateway ${fmt(cpuPerRequestMs.ai)} ms, api-gateway ${fmt(cpuPerRequestMs.gw)} ms.

| streamed (${STREAMS} streams, ${STREAM_CONCURRENCY} at a time, ${CHUNKS} chunks ${CHUNK_GAP_MS} ms apart) | TTFT p50 | TTFT p99 | chunk gap p50 | chunk gap p99 |
| --- | ---: | ---: | ---: | ---: |
| through the platform | ${fmt(viaStream.ttftP50)} | ${fmt(viaStream.ttftP99)} | ${fmt(viaStream.gapP50)} | ${fmt(viaStream.gapP99)} |
| provider direct | ${fmt(directStream.ttftP50)} | ${fmt(directStream.ttftP99)} | ${fmt(directStream.gapP50)} | ${fmt(directStream.gapP99)} |
| **added** | **${fmt(viaStream.ttftP50 - directStream.ttftP50)}** | **${fmt(viaStream.ttftP99 - directStream.ttftP99)}** | **${fmt(viaStream.gapP50 - directStream.gapP50)}** | **${fmt(viaStream.gapP99 - directStream.gapP99)}** |`,
    );
  } finally {
    await gateway?.stop();
    await ai?.stop();
    await provider.stop();
    for (const r of resources.reverse()) await r.drop().catch(() => undefined);
    await identities.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
