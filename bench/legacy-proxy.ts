/**
 * Legacy proxy overhead: GET /api/v1/chat/messages through api-gateway to the legacy monolith
 * (route lookup, JWT verification, rate limit counted in Redis, header rewriting with the
 * verified identity, @fastify/reply-from on undici, streamed answer, per-route counters) versus
 * the same request sent straight to the monolith. The monolith is the legacy stand-in
 * (tools/legacy-standin) in its own process, so the difference is what the gateway adds.
 *
 * Two loads per path, as in gateway-overhead: a fixed 1000 req/s for 10 s (open loop) and
 * saturation with 50 concurrent connections for 10 s (closed loop). Load by autocannon.
 *
 *   npm run bench -- legacy-proxy
 *
 * Writes bench/results/legacy-proxy.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import autocannon from 'autocannon';
import { createTempDatabase, createTempVhost, freePort, startApp, TestIdentities, uniqueName, waitFor, type StartedApp, type TempResource } from '@aether/testing';
import { machineLine, writeResult } from './support/platform';

const RATE = 1000;
const DURATION_S = 10;
const CONCURRENCY = 50;

interface LoadResult {
  label: string;
  mode: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(label: string, url: string, headers: Record<string, string>, mode: 'fixed' | 'saturation'): Promise<LoadResult> {
  const opts = mode === 'fixed' ? { url, headers, connections: CONCURRENCY, overallRate: RATE, duration: DURATION_S } : { url, headers, connections: CONCURRENCY, duration: DURATION_S };
  const r = await autocannon(opts);
  return {
    label,
    mode: mode === 'fixed' ? `fixed ${RATE} req/s` : `saturation, ${CONCURRENCY} concurrent`,
    rps: Math.round(r.requests.total / r.duration),
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.non2xx + r.errors + r.timeouts,
  };
}

async function startStandin(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [resolve(__dirname, '../../tools/legacy-standin/legacy-standin.js')], {
    env: { ...process.env, LEGACY_STANDIN_PORT: String(port) },
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/health`)).ok, { timeoutMs: 10_000, what: 'the legacy stand-in' });
  return { url, child };
}

const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');

async function main() {
  const identities = await new TestIdentities().start();
  const resources: TempResource[] = [];
  let gateway: StartedApp | undefined;
  const standin = await startStandin();
  try {
    const [db, vhost] = await Promise.all([createTempDatabase('bench_legacy'), createTempVhost('bench_legacy')]);
    resources.push(db, vhost);
    gateway = await startApp('api-gateway', {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: `${uniqueName('bench_legacy')}:`,
      AUTH_JWKS_URL: identities.jwksUrl,
      LEGACY_API_URL: standin.url,
      DATABASE_URL: db.url,
      RABBITMQ_URL: vhost.url,
      RATE_LIMIT_DEFAULT_POINTS: '100000000',
    });
    const user = await identities.user('developer');
    const path = '/api/v1/chat/messages';
    // Direct calls carry what the gateway would send: the identity the monolith trusts.
    const direct = { 'x-aether-user-id': user.id, 'x-aether-roles': 'developer' };
    const viaGateway = user.bearer();
    const probe = await fetch(gateway.httpUrl + path, { headers: viaGateway });
    if (probe.status !== 200 || probe.headers.get('x-aether-served-by') !== 'legacy') throw new Error(`the route is not served by legacy: ${probe.status}`);

    // Warm-up: JIT, connection pools, JWKS cache.
    await autocannon({ url: gateway.httpUrl + path, headers: viaGateway, connections: 10, duration: 2 });
    await autocannon({ url: standin.url + path, headers: direct, connections: 10, duration: 2 });

    const rows: LoadResult[] = [];
    rows.push(await load('via gateway (legacy route)', gateway.httpUrl + path, viaGateway, 'fixed'));
    rows.push(await load('monolith direct', standin.url + path, direct, 'fixed'));
    rows.push(await load('via gateway (legacy route)', gateway.httpUrl + path, viaGateway, 'saturation'));
    rows.push(await load('monolith direct', standin.url + path, direct, 'saturation'));

    const diff = (mode: string) => {
      const g = rows.find((r) => r.label.startsWith('via') && r.mode === mode)!;
      const d = rows.find((r) => r.label.startsWith('monolith') && r.mode === mode)!;
      const rps = mode.startsWith('fixed') ? '—' : String(g.rps - d.rps);
      return `| added by the gateway | ${mode} | ${rps} | ${fmt(g.p50 - d.p50)} | ${fmt(g.p99 - d.p99)} | |`;
    };
    await writeResult(
      'legacy-proxy',
      `### Legacy proxy: GET ${path} through the gateway vs straight to the monolith

Machine: ${machineLine()}. api-gateway (route table in PostgreSQL, cached; JWT ES256 verified;
rate limit in Redis; identity headers; @fastify/reply-from on undici) and the legacy stand-in as
separate processes, the load generator too. ${DURATION_S} s per row after a warm-up; latencies in ms.

| path | load | requests/s | p50 (ms) | p99 (ms) | errors |
| --- | --- | ---: | ---: | ---: | ---: |
${rows.map((r) => `| ${r.label} | ${r.mode} | ${r.rps} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${r.errors} |`).join('\n')}
${diff(`fixed ${RATE} req/s`)}
${diff(`saturation, ${CONCURRENCY} concurrent`)}`,
    );
  } finally {
    await gateway?.stop();
    standin.child.kill('SIGTERM');
    for (const r of resources.reverse()) await r.drop().catch(() => undefined);
    await identities.stop();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
