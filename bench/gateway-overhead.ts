/**
 * Gateway overhead: GET /api/v1/tasks/{id} through api-gateway (JWT verification, rate limit
 * counted in Redis, permissions, validation, gRPC call, problem+json mapping) versus the same
 * GetTask called over gRPC straight to task-manager with the same token. Both paths end in the
 * same task-manager process and PostgreSQL row, so the difference is what the gateway costs.
 *
 * Two loads per path:
 * - fixed rate, 1000 req/s for 10 s (open loop: requests are sent on schedule whether or not
 *   earlier ones finished — latency as a client sees it at a realistic load);
 * - saturation, 50 concurrent requesters for 10 s (closed loop: max throughput, latency at it).
 * HTTP load is autocannon; gRPC load is a small @grpc/grpc-js loop in this file.
 *
 * How it runs: TypeScript compiled with the rest of the repo by scripts/build.sh (swc → dist/),
 * started by `npm run bench` (or `npm run bench -- gateway-overhead`) as
 * `node dist/bench/gateway-overhead.js`. It starts security, task-manager and api-gateway as real
 * processes on throw-away stores (bench/support/platform.ts), prints a Markdown table, writes
 * bench/results/gateway-overhead.md and exits.
 */
import autocannon from 'autocannon';
import { credentials, loadPackageDefinition, Metadata, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { PROTO_LOADER_OPTIONS, protoFile, protoRoot } from '@aether/contracts';
import { adminAccessToken, machineLine, startPlatform, writeResult } from './support/platform';

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

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

type GetTask = (req: { id: string }, md: Metadata, opts: { deadline: number }, cb: (err: ServiceError | null) => void) => void;

function grpcClient(address: string): { client: Client; getTask: GetTask } {
  const def = loadSync(protoFile('task-manager'), { ...PROTO_LOADER_OPTIONS, includeDirs: [protoRoot()] });
  const pkg = loadPackageDefinition(def) as unknown as {
    aether: { task_manager: { v1: { TaskManagerService: new (a: string, c: ReturnType<typeof credentials.createInsecure>) => Client } } };
  };
  const client = new pkg.aether.task_manager.v1.TaskManagerService(address, credentials.createInsecure());
  const getTask = (client as unknown as { getTask: GetTask }).getTask.bind(client);
  return { client, getTask };
}

/** One GetTask call; resolves with its latency in ms (rejects on error). */
function timedCall(getTask: GetTask, id: string, md: Metadata): Promise<number> {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) =>
    getTask({ id }, md, { deadline: Date.now() + 5000 }, (err) => (err ? reject(err) : resolve(Number(process.hrtime.bigint() - t0) / 1e6))),
  );
}

/** Open loop at `rate` req/s: every 10 ms a tick sends the calls that are due by then. */
async function grpcFixedRate(getTask: GetTask, id: string, md: Metadata, rate: number, seconds: number): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const inFlight: Promise<void>[] = [];
  const start = performance.now();
  let sent = 0;
  await new Promise<void>((done) => {
    const timer = setInterval(() => {
      const elapsed = (performance.now() - start) / 1000;
      const due = Math.min(Math.floor(elapsed * rate), rate * seconds);
      for (; sent < due; sent++) {
        inFlight.push(timedCall(getTask, id, md).then((ms) => void latencies.push(ms), () => void errors++));
      }
      if (elapsed >= seconds) {
        clearInterval(timer);
        done();
      }
    }, 10);
  });
  await Promise.all(inFlight);
  const total = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return { label: 'gRPC direct', mode: `fixed ${rate} req/s`, rps: Math.round(latencies.length / total), p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors };
}

/** Closed loop: `concurrency` requesters calling back to back for `seconds`. */
async function grpcSaturation(getTask: GetTask, id: string, md: Metadata, concurrency: number, seconds: number): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        try {
          latencies.push(await timedCall(getTask, id, md));
        } catch {
          errors++;
        }
      }
    }),
  );
  const total = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return { label: 'gRPC direct', mode: `saturation, ${concurrency} concurrent`, rps: Math.round(latencies.length / total), p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors };
}

async function httpLoad(url: string, headers: Record<string, string>, mode: 'fixed' | 'saturation'): Promise<LoadResult> {
  const opts = mode === 'fixed'
    ? { url, headers, connections: CONCURRENCY, overallRate: RATE, duration: DURATION_S }
    : { url, headers, connections: CONCURRENCY, duration: DURATION_S };
  const r = await autocannon(opts);
  return {
    label: 'HTTP via gateway',
    mode: mode === 'fixed' ? `fixed ${RATE} req/s` : `saturation, ${CONCURRENCY} concurrent`,
    // Completed requests over the run (autocannon's per-second average under-counts a throttled run).
    rps: Math.round(r.requests.total / r.duration),
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.non2xx + r.errors + r.timeouts,
  };
}

const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');

async function main() {
  const platform = await startPlatform(['security', 'task-manager', 'api-gateway'], {
    // Rate limiting stays on (every request is counted in Redis) with a budget the bench cannot exhaust.
    'api-gateway': { RATE_LIMIT_DEFAULT_POINTS: '100000000', RATE_LIMIT_DEFAULT_WINDOW_SECONDS: '60' },
    // No scheduler/reminder passes competing for the CPU during the measurement.
    'task-manager': { SCHEDULER_INTERVAL_MS: '600000' },
  });
  const { client, getTask } = grpcClient(platform.grpc['task-manager']!);
  try {
    const gw = platform.urls['api-gateway']!;
    const accessToken = await adminAccessToken(platform);
    const headers = { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' };
    const created = await fetch(`${gw}/api/v1/tasks`, { method: 'POST', headers, body: JSON.stringify({ title: 'benchmark task', labels: ['bench'] }) });
    if (created.status !== 201) throw new Error(`create failed: ${created.status} ${await created.text()}`);
    const { id } = (await created.json()) as { id: string };
    const url = `${gw}/api/v1/tasks/${id}`;
    const md = new Metadata();
    md.set('authorization', `Bearer ${accessToken}`);

    // Warm-up: JIT, connection pools, JWKS cache.
    await autocannon({ url, headers, connections: 10, duration: 2 });
    await grpcSaturation(getTask, id, md, 10, 2);

    const rows: LoadResult[] = [];
    rows.push(await httpLoad(url, headers, 'fixed'));
    rows.push(await grpcFixedRate(getTask, id, md, RATE, DURATION_S));
    rows.push(await httpLoad(url, headers, 'saturation'));
    rows.push(await grpcSaturation(getTask, id, md, CONCURRENCY, DURATION_S));

    const diff = (mode: string) => {
      const h = rows.find((r) => r.label.startsWith('HTTP') && r.mode === mode)!;
      const g = rows.find((r) => r.label.startsWith('gRPC') && r.mode === mode)!;
      // At a fixed rate both paths should carry the same load, so only latency differs.
      const rps = mode.startsWith('fixed') ? '—' : String(h.rps - g.rps);
      return `| gateway overhead (HTTP − gRPC) | ${mode} | ${rps} | ${fmt(h.p50 - g.p50)} | ${fmt(h.p99 - g.p99)} | |`;
    };
    await writeResult(
      'gateway-overhead',
      `### Gateway overhead: GET /api/v1/tasks/{id} vs gRPC GetTask

Machine: ${machineLine()}. security, task-manager, api-gateway as separate processes on this
machine (LOG_LEVEL=warn), the load generator too; auth (JWT, ES256) and rate limiting (Redis) on.
${DURATION_S} s per row after a warm-up; latencies in ms.

| path | load | requests/s | p50 (ms) | p99 (ms) | errors |
| --- | --- | ---: | ---: | ---: | ---: |
${rows.map((r) => `| ${r.label} | ${r.mode} | ${r.rps} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${r.errors} |`).join('\n')}
${diff(`fixed ${RATE} req/s`)}
${diff(`saturation, ${CONCURRENCY} concurrent`)}`,
    );
  } finally {
    client.close();
    await platform.stop();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
