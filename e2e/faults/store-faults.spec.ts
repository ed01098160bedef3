/**
 * Fault tests: the platform (security, task-manager, analytics, api-gateway from dist/ — run
 * `npm run build` first) on PostgreSQL, Redis and RabbitMQ servers of the test's own, each
 * stopped and started again under load. While a store is down the routes that need it answer
 * 503 (or 504) within 1 s and nothing answers 500; once it is back, the same processes recover
 * by themselves; and no event is lost or duplicated: analytics counts exactly the tasks that
 * task-manager stored. Bounded: each outage lasts OUTAGE_MS, recovery is awaited ≤ 30 s.
 */
import { Client } from 'pg';
import { startPrivatePostgres, startPrivateRabbitMq, startPrivateRedis, waitFor, type PrivateServer } from '@aether/testing';
import { startPlatform, type RunningPlatform } from '../../bench/support/platform';

jest.setTimeout(240_000);

const OUTAGE_MS = 3_000;
const FAST_MS = 1_000;
const LIFTED = '1000000';

interface Sample {
  route: string;
  at: number;
  ms: number;
  status: number;
  code?: string;
}

let pg: PrivateServer;
let redis: PrivateServer;
let rabbit: PrivateServer;
let platform: RunningPlatform;
let base: string;
let bearer: Record<string, string>;
let pids: number[];

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(base + path, {
    method,
    headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined, ms: performance.now() - t0 };
}

/** Runs requests back to back on `concurrency` loops until stopped; keeps every answer. */
function load(routes: Array<{ route: string; send: () => Promise<{ status: number; json: any; ms: number }> }>, concurrency = 2) {
  const samples: Sample[] = [];
  let running = true;
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      for (const r of routes) {
        const at = Date.now();
        try {
          const res = await r.send();
          samples.push({ route: r.route, at, ms: res.ms, status: res.status, code: res.json?.code });
        } catch (err) {
          samples.push({ route: r.route, at, ms: Date.now() - at, status: 0, code: String(err) });
        }
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  });
  return {
    samples,
    async stop() {
      running = false;
      await Promise.all(loops);
      return samples;
    },
  };
}

/** "route status code" → how many, so a failure shows the mix of answers instead of every sample. */
function tally(samples: Sample[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    const key = `${s.route} ${s.status}${s.code ? ` ${s.code.slice(0, 60)}` : ''}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

const createTask = () => call('POST', '/api/v1/tasks', { title: `under fault ${Date.now()}` }, bearer);
const me = () => call('GET', '/api/v1/auth/me', undefined, bearer);

/** Stops `server` under load for OUTAGE_MS, starts it again, and waits until every route succeeds. */
async function outage(server: PrivateServer, routes: Parameters<typeof load>[0]) {
  const l = load(routes);
  await new Promise((r) => setTimeout(r, 500));
  const down = Date.now();
  await server.stop();
  await new Promise((r) => setTimeout(r, OUTAGE_MS));
  const up = Date.now();
  await server.start();
  const started = Date.now();
  await waitFor(
    () => routes.every((r) => l.samples.some((s) => s.route === r.route && s.at > started && s.status < 300)),
    { timeoutMs: 30_000, intervalMs: 100, what: 'every route to succeed again after the restart' },
  );
  const recoveredMs = Date.now() - started;
  const samples = await l.stop();
  const during = samples.filter((s) => s.at > down + 200 && s.at + s.ms < up);
  // The figures README quotes ("Guarantees"): what clients saw while the store was down.
  const slowest = Math.round(Math.max(0, ...during.map((s) => s.ms)));
  process.stdout.write(`[faults] ${routes.map((r) => r.route).join(' + ')}: ${samples.length} requests, ${during.length} during a ${OUTAGE_MS} ms outage (slowest ${slowest} ms; ${JSON.stringify(tally(during))}), every route recovered ${recoveredMs} ms after the restart\n`);
  return { samples, down, up, recoveredMs, during };
}

/**
 * The services' error lines, for a failure message: an answer the test did not expect (a 500)
 * names its cause only in the log of the service that gave it.
 */
function serviceErrors(): string {
  return Object.entries(platform.processes)
    .map(([app, p]) => {
      const lines = p!.output().split('\n').filter((l) => /"level":("error"|"fatal"|50|60)|\bERROR\b|Error:/.test(l));
      return lines.length ? `--- ${app}\n${lines.slice(-20).join('\n')}` : '';
    })
    .filter(Boolean)
    .join('\n');
}

/** Fails with the mix of unexpected answers and the services' error lines that explain them. */
function expectNone(samples: Sample[]): void {
  const unexpected = tally(samples);
  if (Object.keys(unexpected).length) throw new Error(`unexpected answers ${JSON.stringify(unexpected)}\n${serviceErrors()}`);
}

async function processesAlive(): Promise<number[]> {
  return Object.values(platform.processes).map((p) => {
    expect(p!.child.exitCode).toBeNull();
    return p!.child.pid!;
  });
}

/** Tasks the user has in task-manager (the truth) and task.created events analytics recorded for them. */
async function taskCounts(): Promise<{ stored: number; counted: number }> {
  let stored = 0;
  let cursor = '';
  do {
    const page = await call('GET', `/api/v1/tasks?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, undefined, bearer);
    stored += page.json.items.length;
    cursor = page.json.nextCursor ?? '';
  } while (cursor);
  const from = new Date(Date.now() - 3_600_000).toISOString();
  const to = new Date(Date.now() + 60_000).toISOString();
  const summary = await call('GET', `/api/v1/analytics/summary?from=${from}&to=${to}`, undefined, bearer);
  return { stored, counted: summary.json.tasks.created };
}

async function expectEventsExactlyOnce(): Promise<void> {
  const counts = await waitFor(async () => {
    const c = await taskCounts();
    return c.stored > 0 && c.stored === c.counted ? c : undefined;
  }, { timeoutMs: 60_000, intervalMs: 500, what: 'analytics to count exactly the stored tasks' }).catch(async (e) => {
    throw new Error(`${e.message}: ${JSON.stringify(await taskCounts())}`);
  });
  expect(counts.counted).toBe(counts.stored);
  // Redeliveries after the outage must not have counted anything twice: still equal a moment later.
  await new Promise((r) => setTimeout(r, 1_000));
  expect(await taskCounts()).toEqual(counts);
}

beforeAll(async () => {
  [pg, redis, rabbit] = await Promise.all([startPrivatePostgres(), startPrivateRedis(), startPrivateRabbitMq()]);
  const admin = new Client({ connectionString: pg.url });
  await admin.connect();
  await admin.query('CREATE DATABASE security');
  await admin.query('CREATE DATABASE task_manager');
  await admin.end();
  const dbUrl = (db: string) => pg.url.replace(/\/postgres$/, `/${db}`);
  const common = { RABBITMQ_URL: rabbit.url, REDIS_URL: redis.url };
  platform = await startPlatform(['security', 'task-manager', 'analytics', 'api-gateway'], {
    security: { ...common, DATABASE_URL: dbUrl('security') },
    'task-manager': { ...common, DATABASE_URL: dbUrl('task_manager'), SCHEDULER_ENABLED: 'false' },
    analytics: { ...common, ANALYTICS_BATCH_LINGER_MS: '20' },
    'api-gateway': { ...common, GRPC_DEADLINE_MS: '1000', RATE_LIMIT_DEFAULT_POINTS: LIFTED, RATE_LIMIT_ANON_POINTS: LIFTED, RATE_LIMIT_AUTH_POINTS: LIFTED },
  });
  base = platform.urls['api-gateway']!;
  const email = `faults-${Date.now()}@example.com`;
  await call('POST', '/api/v1/auth/register', { email, password: 'fault password 1', name: 'Faults' });
  const login = await call('POST', '/api/v1/auth/login', { email, password: 'fault password 1' });
  bearer = { authorization: `Bearer ${login.json.accessToken}` };
  expect((await createTask()).status).toBe(201);
  pids = await processesAlive();
});

afterAll(async () => {
  await platform?.stop();
  await Promise.allSettled([pg?.dispose(), redis?.dispose(), rabbit?.dispose()]);
});

it('PostgreSQL down: 503 within 1 s on the routes that need it, readiness 503, recovery without restarts, events exactly once', async () => {
  const readiness: number[] = [];
  const probe = setInterval(() => {
    void fetch(`${platform.urls['task-manager']}/readyz`).then((r) => readiness.push(r.status), () => undefined);
  }, 200);
  const run = await outage(pg, [{ route: 'POST /tasks', send: createTask }, { route: 'GET /auth/me', send: me }]).finally(() => clearInterval(probe));
  expectNone(run.samples.filter((s) => (s.status >= 500 && s.status !== 503 && s.status !== 504) || s.status === 0));
  expect(run.during.length).toBeGreaterThan(4);
  expectNone(run.during.filter((s) => s.status !== 503 || s.code !== 'UPSTREAM_UNAVAILABLE'));
  expect(Math.max(...run.during.map((s) => s.ms))).toBeLessThan(FAST_MS);
  expect(readiness).toContain(503);
  // Ready again without a restart (the last background probe may have been sent before the restart).
  await waitFor(async () => ((await fetch(`${platform.urls['task-manager']}/readyz`)).status === 200 ? true : undefined), {
    timeoutMs: 10_000,
    intervalMs: 100,
    what: 'task-manager to be ready again',
  });
  expect(await processesAlive()).toEqual(pids);
  await expectEventsExactlyOnce();
});

it('Redis down: no 5xx on plain requests (rate limits fall back in memory), fast answers, recovery without restarts', async () => {
  const run = await outage(redis, [{ route: 'POST /tasks', send: createTask }, { route: 'GET /auth/me', send: me }]);
  expectNone(run.samples.filter((s) => s.status >= 500 || s.status === 0));
  expect(run.during.length).toBeGreaterThan(4);
  expect(Math.max(...run.during.map((s) => s.ms))).toBeLessThan(FAST_MS);
  expect(await processesAlive()).toEqual(pids);
  await expectEventsExactlyOnce();
});

it('RabbitMQ down: writes keep succeeding (outbox), events arrive after the restart exactly once, no restarts', async () => {
  const run = await outage(rabbit, [{ route: 'POST /tasks', send: createTask }]);
  expectNone(run.samples.filter((s) => s.status >= 500 || s.status === 0));
  expect(run.during.filter((s) => s.status === 201).length).toBeGreaterThan(4);
  expect(await processesAlive()).toEqual(pids);
  await expectEventsExactlyOnce();
});
