/**
 * Start-up time (spawn → /readyz 200, including migrations and broker connection), idle memory
 * and a soak of every service in services.yaml (bench/support/platform.ts is generated from it).
 *
 * 1. STARTUP_RUNS (default 3) starts of the whole platform, services one after the other in
 *    dependency order; after 5 s idle: RSS (/proc) and V8 heap used (its /metrics).
 * 2. Soak: SOAK_MINUTES (default 5) at saturation — autocannon, 50 connections, through the
 *    gateway on one read route per upstream service, plus each service without a gateway route
 *    on its own /readyz (its store probes) — then SOAK_IDLE_SECONDS (default 60) idle. RSS and
 *    heap before, at the end of the load and after the idle minute; > 1.2× idle is flagged.
 *
 * Run: npm run bench -- startup-memory (SOAK_MINUTES=0.5 SOAK_IDLE_SECONDS=20 for a quick run;
 * SOAK_MINUTES=0 skips the soak).
 */
import { startDockerEngine } from '@aether/testing';
import type { DockerEngine } from '@aether/testing';
import autocannon from 'autocannon';
import { loadavg } from 'node:os';
import { adminAccessToken, machineLine, PLATFORM_APPS, rssMiB, startPlatform, writeResult } from './support/platform';
import type { AppName, RunningPlatform } from './support/platform';

const RUNS = Number(process.env.STARTUP_RUNS ?? 3);
const SOAK_MINUTES = Number(process.env.SOAK_MINUTES ?? 5);
const SOAK_IDLE_SECONDS = Number(process.env.SOAK_IDLE_SECONDS ?? 60);
const IDLE_RSS_GOAL_MIB = 120;
const START_GOAL_MS = 1000;
const SOAK_RATIO_GOAL = 1.2;

/** Every service, the issuer first and each after the peers it calls (they need its JWKS / address). */
function startOrder(): AppName[] {
  const all = Object.keys(PLATFORM_APPS) as AppName[];
  const order: AppName[] = [];
  const visit = (app: AppName, path: AppName[] = []) => {
    if (order.includes(app)) return;
    if (path.includes(app)) throw new Error(`services.yaml: call cycle ${[...path, app].join(' → ')}`);
    for (const peer of PLATFORM_APPS[app].calls as readonly AppName[]) visit(peer, [...path, app]);
    order.push(app);
  };
  for (const app of all.filter((a) => PLATFORM_APPS[a].issuer)) visit(app);
  for (const app of all) visit(app);
  return order;
}

/**
 * One read route through the gateway per upstream service (the soak's load); a service missing
 * here is loaded on its own /readyz instead.
 */
const GATEWAY_READS: Partial<Record<AppName, string>> = {
  security: '/api/v1/auth/me',
  'task-manager': '/api/v1/tasks?limit=20',
  analytics: '/api/v1/analytics/summary',
  'docker-manager': '/api/v1/containers',
  'integration-hub': '/api/v1/integrations/rules',
  'ai-gateway': '/v1/models',
  rag: '/api/v1/rag/collections',
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

interface Memory {
  rss: number;
  heapUsed: number;
}

/** CPU time (user + system, ms) the process has used so far (Linux /proc). */
async function cpuMs(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ');
  const { execFileSync } = await import('node:child_process');
  const hz = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / hz;
}

/** RSS of the process and V8's used heap (the kit's default metric on the service's /metrics). */
async function memoryOf(platform: RunningPlatform, app: AppName): Promise<Memory> {
  const rss = await rssMiB(platform.processes[app]!.child.pid!);
  const text = await fetch(`${platform.urls[app]}/metrics`).then((r) => r.text());
  const heap = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? ([\d.e+]+)$/m.exec(text);
  return { rss, heapUsed: heap ? mib(Number(heap[1])) : NaN };
}

/**
 * Starts `apps` and runs `fn`. A service that does not start (e.g. one still being built, whose
 * services.yaml entry lags behind its env) is left out, with the reason, and so are its callers.
 */
async function withPlatform<T>(apps: AppName[], engine: DockerEngine | undefined, failed: Map<AppName, string>, fn: (p: RunningPlatform, apps: AppName[]) => Promise<T>): Promise<T> {
  for (;;) {
    const running = apps.filter((a) => !failed.has(a) && !(PLATFORM_APPS[a].calls as readonly AppName[]).some((p) => failed.has(p)));
    let platform: RunningPlatform;
    try {
      platform = await startPlatform(running, {
        ...(engine ? { 'docker-manager': { DOCKER_HOST: engine.dockerHost } } : {}),
        // A required secret (services.yaml) the generated platform does not supply.
        'integration-hub': { INTEGRATION_HUB_SECRET_KEYS: `bench:${Buffer.alloc(32, 3).toString('base64')}` },
        'api-gateway': { RATE_LIMIT_DEFAULT_POINTS: '1000000000', RATE_LIMIT_DEFAULT_WINDOW_SECONDS: '60' },
      });
    } catch (e) {
      const msg = String(e instanceof Error ? e.message : e);
      const app = running.find((a) => msg.startsWith(`${a} exited`) || msg.startsWith(`${a} not ready`));
      if (!app) throw e;
      const reason = msg.split('\n').map((l) => l.trim()).filter(Boolean).slice(0, 3).join(' ');
      failed.set(app, reason);
      console.error(`bench: ${app} left out: ${reason}`);
      continue;
    }
    try {
      return await fn(platform, running.filter((a) => !failed.has(a)));
    } finally {
      await platform.stop();
    }
  }
}

async function soak(platform: RunningPlatform, apps: AppName[]): Promise<{ rows: string[]; flagged: string[]; notes: string[] }> {
  const gw = platform.urls['api-gateway']!;
  const accessToken = await adminAccessToken(platform);
  const headers = { authorization: `Bearer ${accessToken}` };
  // Only routes that answer 200 now: a failing route would measure the error path.
  const notes: string[] = [];
  const routes: string[] = [];
  const direct: AppName[] = [];
  for (const app of apps) {
    if (app === 'api-gateway') continue;
    const path = GATEWAY_READS[app];
    const status = path ? (await fetch(gw + path, { headers })).status : 0;
    if (path && status === 200) routes.push(path);
    else {
      if (path) notes.push(`${app}: ${path} answered ${status}; loaded on its /readyz instead`);
      direct.push(app);
    }
  }
  const before: Partial<Record<AppName, Memory>> = {};
  for (const app of apps) before[app] = await memoryOf(platform, app);
  const duration = Math.max(1, Math.round(SOAK_MINUTES * 60));
  const loads = [
    autocannon({ url: gw, connections: 50, duration, requests: routes.map((path) => ({ method: 'GET', path, headers })) }),
    ...direct.map((app) => autocannon({ url: `${platform.urls[app]}/readyz`, connections: 5, duration })),
  ];
  // The end of the load: sampled just before autocannon stops.
  const loaded: Partial<Record<AppName, Memory>> = {};
  const sample = new Promise<void>((r) =>
    setTimeout(async () => {
      for (const app of apps) loaded[app] = await memoryOf(platform, app);
      r();
    }, (duration - 2) * 1000),
  );
  const results = await Promise.all(loads);
  await sample;
  const gwResult = results[0];
  notes.push(
    `gateway mix (${routes.join(', ')}): ${Math.round(gwResult.requests.average)} requests/s, ${gwResult.non2xx + gwResult.errors} non-2xx + errors` +
      ` (status counts: ${Object.entries((gwResult as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {}).map(([c, v]) => `${c}: ${v.count}`).join(', ')})` +
      (direct.length ? `; /readyz of ${direct.join(', ')}: ${results.slice(1).map((r) => Math.round(r.requests.average)).join(', ')} requests/s` : ''),
  );
  await new Promise((r) => setTimeout(r, SOAK_IDLE_SECONDS * 1000));
  const rows: string[] = [];
  const flagged: string[] = [];
  for (const app of apps) {
    const a = before[app]!;
    const l = loaded[app]!;
    const z = await memoryOf(platform, app);
    const rssRatio = z.rss / a.rss;
    const heapRatio = z.heapUsed / a.heapUsed;
    const bad = rssRatio > SOAK_RATIO_GOAL || heapRatio > SOAK_RATIO_GOAL;
    if (bad) flagged.push(app);
    rows.push(
      `| ${app} | ${a.rss} | ${l.rss} | ${z.rss} | ${rssRatio.toFixed(2)}× | ${a.heapUsed} | ${l.heapUsed} | ${z.heapUsed} | ${heapRatio.toFixed(2)}× | ${bad ? '**over 1.2×**' : 'ok'} |`,
    );
  }
  return { rows, flagged, notes };
}

async function main() {
  const apps = startOrder();
  const load0 = loadavg();
  // docker-manager is ready only with an engine: a private dockerd (libs/testing), as in its tests.
  const engine = apps.includes('docker-manager' as AppName) ? await startDockerEngine() : undefined;
  try {
    const startup: Record<string, number[]> = {};
    const idle: Record<string, Memory[]> = {};
    const startCpu: Record<string, number[]> = {};
    const failed = new Map<AppName, string>();
    for (let i = 0; i < RUNS; i++) {
      await withPlatform(apps, engine, failed, async (platform, running) => {
        // Read as soon as all are up: the services idle meanwhile, so this is (nearly) their start's CPU.
        for (const app of running) (startCpu[app] ??= []).push(await cpuMs(platform.processes[app]!.child.pid!));
        await new Promise((r) => setTimeout(r, 5000));
        for (const app of running) {
          (startup[app] ??= []).push(platform.startupMs[app]!);
          (idle[app] ??= []).push(await memoryOf(platform, app));
        }
      });
    }
    const rows = apps.filter((a) => startup[a]?.length).map((a) => {
      const ms = Math.round(median(startup[a]));
      const rss = median(idle[a].map((m) => m.rss));
      const heap = median(idle[a].map((m) => m.heapUsed));
      const all = startup[a].map((x) => Math.round(x)).join(', ');
      return `| ${a} | ${ms} | ${all} | ${Math.round(median(startCpu[a]))} | ${rss.toFixed(1)} | ${heap.toFixed(1)} | ${ms <= START_GOAL_MS && rss <= IDLE_RSS_GOAL_MIB ? 'ok' : '**over goal**'} |`;
    });
    let soakSection = '';
    if (SOAK_MINUTES > 0) {
      const s = await withPlatform(apps, engine, failed, (platform, running) => soak(platform, running));
      soakSection = `

#### Soak: ${SOAK_MINUTES} min at saturation, then ${SOAK_IDLE_SECONDS} s idle (MiB; goal: back within ${SOAK_RATIO_GOAL}× of idle)

${s.notes.map((n) => `- ${n}`).join('\n')}

| service | RSS idle | RSS loaded | RSS after | ratio | heap idle | heap loaded | heap after | ratio | |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |
${s.rows.join('\n')}

${s.flagged.length ? `Over ${SOAK_RATIO_GOAL}× after the idle minute: ${s.flagged.join(', ')}.` : `Every service back within ${SOAK_RATIO_GOAL}× of idle.`}`;
    }
    const load1 = loadavg();
    await writeResult(
      'startup-memory',
      `### Start-up time and memory of every service (median of ${RUNS} starts)

Machine: ${machineLine()}; load average ${load0.map((x) => x.toFixed(2)).join(' ')} at the start, ${load1.map((x) => x.toFixed(2)).join(' ')} at the end (shared with other work). Start-up = spawn → /readyz 200 (migrations and broker connection included), services started one after the other; CPU of the start = user + system time of the process when all are up (less sensitive to the machine's load than the wall time); idle = 5 s after the last service is ready. Goals: ≤ ${START_GOAL_MS} ms, ≤ ${IDLE_RSS_GOAL_MIB} MiB.

| service | start-up to ready (ms) | each start (ms) | CPU of the start (ms) | idle RSS (MiB) | idle heap used (MiB) | |
| --- | ---: | --- | ---: | ---: | ---: | --- |
${rows.join('\n')}${[...failed].map(([a, why]) => `\n| ${a} | did not start: ${why.replace(/\|/g, '\\|')} | | | | | **not measured** |`).join('')}${soakSection}`,
    );
  } finally {
    await engine?.stop();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
