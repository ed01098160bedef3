/**
 * ListTasks with filters at 100k rows: how long one page takes (p50/p99) for the filters and
 * sorts of GET /api/v1/tasks, for a user who owns 20k of the tasks and is assigned ~2k more
 * (the owner/assignee UNION path) and for an admin who sees all 100k.
 *
 * Rows are bulk-inserted with one INSERT ... SELECT FROM generate_series (then ANALYZE), after
 * task-manager's own migrations created the tables and indexes. Calls go over gRPC to the real
 * task-manager process (token verification included), one at a time, 300 per query after a
 * warm-up, so the figures are single-request latencies rather than throughput.
 *
 * How it runs: TypeScript compiled with the rest of the repo by scripts/build.sh (swc → dist/),
 * started by `npm run bench` (or `npm run bench -- list-tasks`) as `node dist/bench/list-tasks.js`.
 * It creates a temp database and vhost, starts task-manager (startServiceProcess) with a JWKS
 * stand-in, prints a Markdown table, writes bench/results/list-tasks.md and exits.
 */
import { randomUUID } from 'node:crypto';
import { credentials, loadPackageDefinition, type Client, type Metadata, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { Client as PgClient } from 'pg';
import { PROTO_LOADER_OPTIONS, protoFile, protoRoot } from '@aether/contracts';
import {
  createTempDatabase,
  createTempVhost,
  freePort,
  startServiceProcess,
  TestIdentities,
  type ServiceProcess,
  type TempResource,
} from '@aether/testing';
import { machineLine, writeResult } from './support/platform';

const ROWS = 100_000;
const CALLS = 300;
const WARMUP = 30;

type Unary = (req: unknown, md: Metadata, opts: { deadline: number }, cb: (err: ServiceError | null, res: { items: unknown[]; nextCursor: string }) => void) => void;

function listClient(address: string): { client: Client; list: (req: Record<string, unknown>, md: Metadata) => Promise<{ items: unknown[]; nextCursor: string }> } {
  const def = loadSync(protoFile('task-manager'), { ...PROTO_LOADER_OPTIONS, includeDirs: [protoRoot()] });
  const pkg = loadPackageDefinition(def) as unknown as {
    aether: { task_manager: { v1: { TaskManagerService: new (a: string, c: ReturnType<typeof credentials.createInsecure>) => Client } } };
  };
  const client = new pkg.aether.task_manager.v1.TaskManagerService(address, credentials.createInsecure());
  const listTasks = (client as unknown as { listTasks: Unary }).listTasks.bind(client);
  return {
    client,
    list: (req, md) =>
      new Promise((resolve, reject) => listTasks(req, md, { deadline: Date.now() + 10_000 }, (err, res) => (err ? reject(err) : resolve(res)))),
  };
}

/** 100k tasks: 20% owned by `me`, the rest spread over 50 other users; ~2% of those assigned to `me`. */
async function seed(databaseUrl: string, me: string): Promise<void> {
  const pg = new PgClient({ connectionString: databaseUrl });
  await pg.connect();
  try {
    const others = Array.from({ length: 50 }, () => randomUUID());
    await pg.query(
      `INSERT INTO tasks (id, owner_id, title, description, status, priority, labels, due_at, assignee_id,
                          reminded_at, version, created_at, updated_at, completed_at)
       SELECT gen_random_uuid(),
              CASE WHEN i % 5 = 0 THEN $1::uuid ELSE ($2::uuid[])[1 + i % 50] END,
              (ARRAY['Deploy','Fix','Write','Review','Plan','Refactor','Test','Document'])[1 + i % 8] || ' ' ||
                (ARRAY['billing','search','auth','gateway','reports','onboarding','exports'])[1 + (i / 8) % 7] || ' #' || i,
              'Task ' || i || ' for the ' || (ARRAY['platform','mobile','data','infra','web'])[1 + i % 5] || ' team',
              s.status,
              (ARRAY['low','medium','high','urgent'])[1 + (i * 13) % 4],
              ARRAY['l' || (i % 10), 'team' || (i % 3)],
              CASE WHEN i % 5 = 1 THEN NULL ELSE now() + ((i % 60) - 30) * interval '1 day' + (i % 1440) * interval '1 minute' END,
              CASE WHEN i % 50 = 7 THEN $1::uuid ELSE NULL END,
              now(), 1,
              now() - ($3::int - i) * interval '1 second',
              now() - ($3::int - i) * interval '1 second',
              CASE WHEN s.status = 'done' THEN now() ELSE NULL END
         FROM generate_series(1, $3::int) AS i
        CROSS JOIN LATERAL (SELECT (ARRAY['todo','in_progress','done','cancelled'])[1 + (i * 7) % 4] AS status) s`,
      [me, others, ROWS],
    );
    await pg.query('ANALYZE tasks');
  } finally {
    await pg.end();
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
  const resources: TempResource[] = [];
  const identities = await new TestIdentities().start();
  let tm: ServiceProcess | undefined;
  let client: Client | undefined;
  try {
    const db = await createTempDatabase('bench_list_tasks');
    resources.push(db);
    const vhost = await createTempVhost('bench_list_tasks');
    resources.push(vhost);
    const [httpPort, grpcPort] = [await freePort(), await freePort()];
    tm = await startServiceProcess({
      app: 'task-manager',
      env: {
        LOG_LEVEL: 'warn',
        BIND_HOST: '127.0.0.1',
        HTTP_PORT: String(httpPort),
        GRPC_PORT: String(grpcPort),
        DATABASE_URL: db.url,
        RABBITMQ_URL: vhost.url,
        AUTH_JWKS_URL: identities.jwksUrl,
        SCHEDULER_ENABLED: 'false',
      },
      readyUrl: `http://127.0.0.1:${httpPort}/readyz`,
      timeoutMs: 60_000,
    });
    const me = await identities.user('developer');
    const admin = await identities.user('admin');
    const t0 = performance.now();
    await seed(db.url, me.id);
    const seedSeconds = ((performance.now() - t0) / 1000).toFixed(1);

    const c = listClient(`127.0.0.1:${grpcPort}`);
    client = c.client;
    const page = { limit: 20, cursor: '' };
    const queries: { name: string; who: typeof me; req: Record<string, unknown> }[] = [
      { name: 'newest first (default)', who: me, req: { page } },
      { name: 'status=todo,in_progress & sort=dueAt', who: me, req: { page, status: ['todo', 'in_progress'], sort: 'dueAt' } },
      { name: 'priority=high,urgent & label=l5', who: me, req: { page, priority: ['high', 'urgent'], labels: ['l5'] } },
      { name: 'q="deploy billing" (full text)', who: me, req: { page, q: 'deploy billing' } },
      { name: 'dueAfter/dueBefore (7 days) & sort=-priority', who: me, req: { page, dueAfter: new Date().toISOString(), dueBefore: new Date(Date.now() + 7 * 86_400_000).toISOString(), sort: '-priority' } },
      { name: `assigneeId=me`, who: me, req: { page, assigneeId: me.id } },
      { name: 'admin: all 100k, sort=-createdAt', who: admin, req: { page } },
      { name: 'admin: status=done & label=team1 & sort=dueAt', who: admin, req: { page, status: ['done'], labels: ['team1'], sort: 'dueAt' } },
    ];

    const rows: string[] = [];
    for (const q of queries) {
      const md = q.who.metadata();
      // The 6th page: keyset pagination must not slow down with depth (no OFFSET).
      let deepCursor = '';
      for (let i = 0; i < 5; i++) deepCursor = (await c.list({ ...q.req, page: { limit: 20, cursor: deepCursor } }, md)).nextCursor;
      let returned = 0;
      for (let i = 0; i < WARMUP; i++) returned = (await c.list(q.req, md)).items.length;
      const first: number[] = [];
      const deep: number[] = [];
      for (let i = 0; i < CALLS; i++) {
        let s = performance.now();
        await c.list(q.req, md);
        first.push(performance.now() - s);
        if (deepCursor) {
          s = performance.now();
          await c.list({ ...q.req, page: { limit: 20, cursor: deepCursor } }, md);
          deep.push(performance.now() - s);
        }
      }
      first.sort((a, b) => a - b);
      deep.sort((a, b) => a - b);
      const f = (n: number | undefined) => (n === undefined ? 'n/a' : n.toFixed(2));
      rows.push(`| ${q.name} | ${returned} | ${f(percentile(first, 50))} | ${f(percentile(first, 99))} | ${f(deep.length ? percentile(deep, 99) : undefined)} |`);
    }

    await writeResult(
      'list-tasks',
      `### ListTasks at ${ROWS.toLocaleString('en')} rows (gRPC to task-manager, PostgreSQL 15)

Machine: ${machineLine()}. ${ROWS.toLocaleString('en')} tasks bulk-inserted in ${seedSeconds} s (generate_series, all indexes in place);
the user owns 20k and is assigned ~2k more. ${CALLS} sequential calls per query, page size 20, latencies in ms
(client-measured: gRPC + token verification + query).

| query | rows returned | p50 (ms) | p99 (ms) | p99, 6th page via cursor (ms) |
| --- | ---: | ---: | ---: | ---: |
${rows.join('\n')}`,
    );
  } finally {
    client?.close();
    await tm?.stop();
    await identities.stop();
    for (const r of resources.reverse()) await r.drop().catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
