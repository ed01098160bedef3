/**
 * The request path against a bare reference, in the same run (issue 16). Two chains run side by
 * side on this machine, each hop its own process:
 * - Aether: api-gateway → security (GET /api/v1/auth/me) or → task-manager (GET /api/v1/tasks/{id});
 * - bare: bench/bare/bare-gateway.ts (Fastify + jose + rate-limiter-flexible on Redis + grpc-js)
 *   → bench/bare/bare-service.ts (grpc-js + jose + one pg query, the same row the service reads),
 *   i.e. each hop's essential work and nothing else.
 * For each path and chain: closed loop (autocannon, 50 connections) for throughput, and a fixed
 * 1,000 req/s (open loop) for latency. CPU per request of each hop is the process's CPU time
 * (utime + stime from /proc/<pid>/stat) over the run divided by the requests completed — robust
 * to other load on the machine, unlike requests/s; the ratios Aether ÷ bare are the headline.
 *
 * Run: `npm run bench -- request-path` (builds first). Writes bench/results/request-path.md.
 */
import autocannon from 'autocannon';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { freePort } from '@aether/testing';
import { adminAccessToken, machineLine, startPlatform, writeResult } from './support/platform';

// BENCH_QUICK=1: saturation rows only, 2 rounds, printed only (for A/B runs while changing the kit).
const QUICK = process.env.BENCH_QUICK === '1';
const ROUNDS = QUICK ? 2 : 3;
const SLICE_S = 4;
const WARMUP_ROUNDS = QUICK ? 2 : 4;
const CONNECTIONS = 50;
const RATE = 1000;
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** CPU time (user + system) a process has used so far, in µs. */
function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLK_TCK;
}

/** Starts one bare reference program (dist/bench/bare/<name>.js) and waits for its `ready`. */
async function startBare(name: string, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [resolve(__dirname, 'bare', `${name}.js`)], {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`${name} not ready in 20 s:\n${out}`)), 20_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      if (out.includes('ready\n')) {
        clearTimeout(timer);
        ok();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    child.once('exit', (code) => fail(new Error(`${name} exited (${code}):\n${out}`)));
  });
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}

interface Row {
  path: string;
  stack: 'Aether' | 'bare';
  load: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  statuses: Record<string, number>;
  gatewayUs: number;
  serviceUs: number;
}

interface Slice {
  requests: number;
  seconds: number;
  p50: number;
  p99: number;
  errors: number;
  /** Non-2xx answers by status code. */
  statuses: Record<string, number>;
  gatewayUs: number;
  serviceUs: number;
}

async function slice(url: string, headers: Record<string, string>, pids: { gateway: number; service: number }, fixed: boolean, seconds: number): Promise<Slice> {
  const g0 = cpuMicros(pids.gateway);
  const s0 = cpuMicros(pids.service);
  const r = await autocannon({ url, headers, connections: CONNECTIONS, duration: seconds, ...(fixed ? { overallRate: RATE } : {}) });
  return {
    requests: r.requests.total,
    seconds: r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.non2xx + r.errors + r.timeouts,
    statuses: Object.fromEntries(
      Object.entries((r as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {})
        .filter(([code]) => !code.startsWith('2'))
        .map(([code, v]) => [code, v.count]),
    ),
    gatewayUs: cpuMicros(pids.gateway) - g0,
    serviceUs: cpuMicros(pids.service) - s0,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Sums slices of one chain: requests/s and CPU per request over all of them, median latencies. */
function rowOf(path: string, stack: Row['stack'], load: string, slices: Slice[]): Row {
  const requests = slices.reduce((n, x) => n + x.requests, 0);
  const per = (us: number) => Math.round(us / Math.max(1, requests));
  return {
    path,
    stack,
    load,
    // Completed requests over the run (autocannon's per-second average under-counts a throttled run).
    rps: Math.round(requests / slices.reduce((n, x) => n + x.seconds, 0)),
    p50: median(slices.map((x) => x.p50)),
    p99: median(slices.map((x) => x.p99)),
    errors: slices.reduce((n, x) => n + x.errors, 0),
    statuses: slices.reduce<Record<string, number>>((acc, x) => {
      for (const [code, n] of Object.entries(x.statuses)) acc[code] = (acc[code] ?? 0) + n;
      return acc;
    }, {}),
    gatewayUs: per(slices.reduce((n, x) => n + x.gatewayUs, 0)),
    serviceUs: per(slices.reduce((n, x) => n + x.serviceUs, 0)),
  };
}

/**
 * Both chains under the same load, alternating in ROUNDS short slices (Aether, bare, Aether, ...)
 * so that what else the shared machine does at the time weighs on both alike.
 */
async function compare(
  path: string,
  urls: { aether: string; bare: string },
  headers: Record<string, string>,
  pids: { aether: { gateway: number; service: number }; bare: { gateway: number; service: number } },
  fixed: boolean,
): Promise<Row[]> {
  const a: Slice[] = [];
  const b: Slice[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    a.push(await slice(urls.aether, headers, pids.aether, fixed, SLICE_S));
    b.push(await slice(urls.bare, headers, pids.bare, fixed, SLICE_S));
  }
  const load = fixed ? `fixed ${RATE} req/s` : `saturation, ${CONNECTIONS} conn.`;
  return [rowOf(path, 'Aether', load, a), rowOf(path, 'bare', load, b)];
}

function claimsOf(token: string): { iss: string; aud: string } {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { iss: string; aud: string };
}

async function main() {
  const platform = await startPlatform(['security', 'task-manager', 'api-gateway'], {
    // Rate limiting stays on (every request is counted in Redis) with a budget the bench cannot exhaust.
    'api-gateway': { RATE_LIMIT_DEFAULT_POINTS: '100000000', RATE_LIMIT_DEFAULT_WINDOW_SECONDS: '60' },
    // No scheduler/reminder passes competing for the CPU during the measurement.
    'task-manager': { SCHEDULER_INTERVAL_MS: '600000' },
  });
  const bare: ChildProcess[] = [];
  const loadBefore = loadavg();
  try {
    const gw = platform.urls['api-gateway']!;
    const accessToken = await adminAccessToken(platform);
    const headers = { authorization: `Bearer ${accessToken}` };
    const created = await fetch(`${gw}/api/v1/tasks`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'benchmark task', labels: ['bench'] }),
    });
    if (created.status !== 201) throw new Error(`create failed: ${created.status} ${await created.text()}`);
    const { id } = (await created.json()) as { id: string };

    const { iss, aud } = claimsOf(accessToken);
    const auth = { JWKS_URL: platform.env['api-gateway']!.AUTH_JWKS_URL, AUTH_ISSUER: iss, AUTH_AUDIENCE: aud };
    const serviceAddress = `127.0.0.1:${await freePort()}`;
    bare.push(
      await startBare('bare-service', {
        ...auth,
        BARE_GRPC_ADDRESS: serviceAddress,
        SECURITY_DATABASE_URL: platform.env.security!.DATABASE_URL,
        TASKS_DATABASE_URL: platform.env['task-manager']!.DATABASE_URL,
      }),
    );
    const barePort = await freePort();
    bare.push(
      await startBare('bare-gateway', {
        ...auth,
        BARE_HTTP_PORT: String(barePort),
        BARE_SERVICE_ADDRESS: serviceAddress,
        REDIS_URL: platform.env['api-gateway']!.REDIS_URL,
        REDIS_KEY_PREFIX: `${platform.env['api-gateway']!.REDIS_KEY_PREFIX}bare:`,
      }),
    );
    const [bareService, bareGateway] = bare.map((c) => c.pid!);
    const bareUrl = `http://127.0.0.1:${barePort}`;
    const gatewayPid = platform.processes['api-gateway']!.child.pid!;

    const paths = [
      { path: 'GET /api/v1/auth/me', suffix: '/api/v1/auth/me', service: platform.processes.security!.child.pid! },
      { path: 'GET /api/v1/tasks/{id}', suffix: `/api/v1/tasks/${id}`, service: platform.processes['task-manager']!.child.pid! },
    ];
    for (const p of paths) {
      // Both chains must answer the same request the same way before they are compared.
      // (A few tries: on a machine this busy a single request can time out.)
      for (const base of [gw, bareUrl]) {
        for (let attempt = 1; ; attempt++) {
          const r = await fetch(`${base}${p.suffix}`, { headers });
          if (r.status === 200) break;
          if (attempt === 5) throw new Error(`${base}${p.suffix}: ${r.status} ${await r.text()}`);
          await new Promise((ok) => setTimeout(ok, 1000));
        }
      }
    }

    const rows: Row[] = [];
    for (const p of paths) {
      // Warm-up right before the path is measured (JIT, connection pools, JWKS caches), in
      // alternating slices so neither stack rests long enough for its idle collection: a service
      // idle while the previous path was measured re-optimises for ~10 s afterwards (README).
      for (let i = 0; i < WARMUP_ROUNDS; i++) {
        await autocannon({ url: `${gw}${p.suffix}`, headers, connections: 20, duration: SLICE_S });
        await autocannon({ url: `${bareUrl}${p.suffix}`, headers, connections: 20, duration: SLICE_S });
      }
      for (const fixed of QUICK ? [false] : [false, true]) {
        const pids = { aether: { gateway: gatewayPid, service: p.service }, bare: { gateway: bareGateway, service: bareService } };
        rows.push(...(await compare(p.path, { aether: `${gw}${p.suffix}`, bare: `${bareUrl}${p.suffix}` }, headers, pids, fixed)));
      }
    }
    const loadAfter = loadavg();

    const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a');
    const ratios = paths.map(({ path }) => {
      const [a, b] = (['Aether', 'bare'] as const).map((s) => rows.find((r) => r.path === path && r.stack === s && r.load.startsWith('saturation'))!);
      const af = rows.find((r) => r.path === path && r.stack === 'Aether' && r.load.startsWith('fixed'));
      return `| ${path} | ${ratio(a.gatewayUs, b.gatewayUs)} | ${ratio(a.serviceUs, b.serviceUs)} | ${ratio(b.rps, a.rps)} | ${a.rps} (goal ≥ 3,000) | ${af?.p99 ?? '—'} (goal ≤ 50) |`;
    });
    const fmtLoad = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');
    // A quick run is printed only; README keeps the full run's figures.
    const write = QUICK ? async (_: string, md: string) => void process.stdout.write(`${md}\n`) : writeResult;
    await write(
      'request-path',
      `### Request path: Aether vs a bare reference (same run)

Machine: ${machineLine()}. Load average (1/5/15 min) before: ${fmtLoad(loadBefore)}, after: ${fmtLoad(loadAfter)}
(the machine is shared, so requests/s move with other work; CPU per request and the same-run ratios do not, much).
Each hop is its own process; the load generator runs here too. Aether at LOG_LEVEL=warn, auth (ES256 JWT)
and rate limiting (Redis) on. Bare: bench/bare/ — the same work with the same libraries (jose, verified tokens remembered as libs/auth does;
rate-limiter-flexible + ioredis, grpc-js, pg) and no framework. Each row: ${ROUNDS} slices of ${SLICE_S} s, alternating
Aether and bare, after a warm-up of ${WARMUP_ROUNDS} such rounds right before the path; CPU per request over all slices, latencies the median slice's.

| path | stack | load | requests/s | p50 (ms) | p99 (ms) | non-2xx + errors | gateway hop CPU/req (µs) | service hop CPU/req (µs) |
| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.map((r) => `| ${r.path} | ${r.stack} | ${r.load} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.errors}${Object.keys(r.statuses).length ? ` (${Object.entries(r.statuses).map(([c, n]) => `${c}×${n}`).join(', ')})` : ''} | ${r.gatewayUs} | ${r.serviceUs} |`).join('\n')}

Ratios at saturation (goal: CPU per request ≤ 1.5× bare for each hop):

| path | gateway CPU/req Aether ÷ bare | service CPU/req Aether ÷ bare | throughput bare ÷ Aether | Aether requests/s | Aether p99 at ${RATE} req/s (ms) |
| --- | ---: | ---: | ---: | ---: | ---: |
${ratios.join('\n')}`,
    );
  } finally {
    for (const c of bare.reverse()) await stopChild(c);
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
