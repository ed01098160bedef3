/**
 * Analytics reads at size: GetSummary / GetTimeseries p50/p99 with BENCH_ANALYTICS_EVENTS (default
 * 1,000,000) stored events on FerretDB, and how long compaction takes to fold them.
 *
 *   npm run bench -- analytics-queries
 *
 * The events are bulk-inserted straight into the collections the way the ingest consumer writes
 * them (events + a committed journal per batch of 5,000), spread over the last 30 days, 100 users,
 * five event types (a fifth AI completions); then the analytics process (built, started as its
 * own process) folds them with its compaction loop, and the queries run once it is done.
 * Ingest throughput through RabbitMQ is the event-pipeline bench.
 *
 * BENCH_ANALYTICS_DB_URL=mongodb://…/<db> keeps the seeded database: seeded on the first run (when
 * it holds no events), reused by later ones. BENCH_ANALYTICS_ONLY=<text> runs only the queries
 * whose name contains it (the results file is then not rewritten, the rows are printed).
 */
import { randomUUID } from 'node:crypto';
import { credentials, loadPackageDefinition, type Client, type Metadata, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import mongoose from 'mongoose';
import { PROTO_LOADER_OPTIONS, protoFile, protoRoot } from '@aether/contracts';
import { createTempMongoDatabase, createTempVhost, startApp, TestIdentities, type StartedApp, type TempResource } from '@aether/testing';
// The seed must be exactly what the consumer writes, so it is made by the consumer's own code
// (the rule keeps apps apart; a bench is no app).
// eslint-disable-next-line no-restricted-imports
import { toEventRecord } from '../apps/analytics/src/events/event-record';
// eslint-disable-next-line no-restricted-imports
import { journalDoc } from '../apps/analytics/src/events/event-store.service';
import { machineLine, writeResult } from './support/platform';

const N = Number(process.env.BENCH_ANALYTICS_EVENTS ?? 1_000_000);
const USERS = 100;
const SEED_BATCH = 5000;
const DAYS = 30;
const CALLS = 200;
const WARMUP = 10;
const TYPES = ['task-manager.task.created', 'task-manager.task.updated', 'security.user.logged_in', 'ai-gateway.completion.completed', 'rag.document.ingested'];

type Unary = (req: object, md: Metadata, opts: { deadline: number }, cb: (err: ServiceError | null, res?: unknown) => void) => void;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function seed(url: string, users: string[]): Promise<{ seconds: number }> {
  const conn = await mongoose.createConnection(url).asPromise();
  const events = conn.collection('events');
  const journal = conn.collection('analytics_journal');
  const commits = conn.collection<{ _id: string; at: Date; skip: string[] }>('analytics_journal_commits');
  const t0 = performance.now();
  const now = Date.now();
  const start = now - DAYS * 86_400_000;
  for (let i = 0; i < N; i += SEED_BATCH) {
    const records = [];
    for (let k = i; k < Math.min(N, i + SEED_BATCH); k++) {
      const type = TYPES[k % TYPES.length];
      const time = new Date(start + Math.floor(((k + Math.random()) / N) * (now - 60_000 - start)));
      const data = type.startsWith('ai-gateway') ? { usage: { promptTokens: 120, completionTokens: 40, costUsd: 0.0003 } } : { task: { id: randomUUID(), status: 'todo' } };
      records.push(toEventRecord({ id: randomUUID(), type, subject: users[k % USERS], time: time.toISOString(), data }));
    }
    const journalId = randomUUID();
    await journal.insertOne(journalDoc(journalId, records) as unknown as Record<string, unknown>);
    await events.insertMany(
      records.map((r) => ({ ...r.doc, j: journalId })) as unknown as Array<Record<string, unknown>>,
      { ordered: false },
    );
    await commits.insertOne({ _id: journalId, at: new Date(), skip: [] });
  }
  await conn.close();
  return { seconds: (performance.now() - t0) / 1000 };
}

/** The users of an earlier seed: event k belongs to user k % USERS, and the first events come back first. */
async function seededUsers(url: string): Promise<string[]> {
  const conn = await mongoose.createConnection(url).asPromise();
  try {
    return (await conn.collection('events').find({}).limit(USERS).toArray()).map((d) => String(d.subject));
  } finally {
    await conn.close();
  }
}

async function waitForCompaction(url: string): Promise<number> {
  const conn = await mongoose.createConnection(url).asPromise();
  const t0 = performance.now();
  try {
    while ((await conn.collection('analytics_journal').countDocuments()) > 0) {
      if (performance.now() - t0 > 60 * 60_000) throw new Error('compaction did not finish within an hour');
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    await conn.close();
  }
  return (performance.now() - t0) / 1000;
}

async function main() {
  const resources: TempResource[] = [];
  const identities = await new TestIdentities().start();
  let svc: StartedApp | undefined;
  let client: (Client & Record<string, Unary>) | undefined;
  try {
    // BENCH_ANALYTICS_DB_URL: a database kept between runs (seeding 1M takes minutes).
    const kept = process.env.BENCH_ANALYTICS_DB_URL;
    const mongo = kept ? { url: kept } : await createTempMongoDatabase('bench_analytics');
    if (!kept) resources.push(mongo as TempResource);
    const vhost = await createTempVhost('bench_analytics');
    resources.push(vhost);
    const earlier = kept ? await seededUsers(mongo.url) : [];
    const reuse = earlier.length > 0;
    const users = reuse ? earlier : Array.from({ length: USERS }, () => randomUUID());
    const seeded = reuse ? { seconds: Number.NaN } : await seed(mongo.url, users);
    console.log(`seeded ${N} events in ${seeded.seconds.toFixed(1)} s`);
    svc = await startApp('analytics', {
      LOG_LEVEL: 'warn',
      MONGODB_URL: mongo.url,
      // No broker traffic in this bench; the consumer still needs one to start.
      RABBITMQ_URL: vhost.url,
      AUTH_JWKS_URL: identities.jwksUrl,
    });
    const compactSeconds = await waitForCompaction(mongo.url);
    console.log(`compacted in ${compactSeconds.toFixed(1)} s`);

    const def = loadSync(protoFile('analytics'), { ...PROTO_LOADER_OPTIONS, includeDirs: [protoRoot()] });
    const pkg = loadPackageDefinition(def) as unknown as { aether: { analytics: { v1: { AnalyticsService: new (a: string, c: unknown) => Client & Record<string, Unary> } } } };
    client = new pkg.aether.analytics.v1.AnalyticsService(svc.grpcAddress, credentials.createInsecure());
    const call = (method: string, req: object, md: Metadata) =>
      new Promise<unknown>((resolve, reject) => client![method](req, md, { deadline: Date.now() + 10_000 }, (err, res) => (err ? reject(err) : resolve(res))));

    const admin = await identities.user('admin');
    // Event k is user k % USERS's and of type k % TYPES.length: users[7] has only TYPES[7 % TYPES.length].
    const dev = await identities.user('developer', users[7]);
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    const only = process.env.BENCH_ANALYTICS_ONLY;
    const allQueries: Array<{ name: string; method: string; md: Metadata; req: Record<string, unknown> }> = [
      { name: 'summary, developer, last 24 h (default range)', method: 'getSummary', md: dev.metadata(), req: {} },
      { name: 'summary, admin (everyone), last 24 h', method: 'getSummary', md: admin.metadata(), req: {} },
      { name: 'summary, developer, 30 days, ragged ends', method: 'getSummary', md: dev.metadata(), req: { from: iso(now - 30 * 86_400_000 + 12_345), to: iso(now - 54_321) } },
      { name: 'summary, admin, 30 days, ragged ends', method: 'getSummary', md: admin.metadata(), req: { from: iso(now - 30 * 86_400_000 + 12_345), to: iso(now - 54_321) } },
      { name: 'time series, developer, hourly, 24 h', method: 'getTimeseries', md: dev.metadata(), req: { type: TYPES[7 % TYPES.length], interval: 'hour' } },
      { name: 'time series, admin, per minute, 24 h', method: 'getTimeseries', md: admin.metadata(), req: { type: TYPES[3], interval: 'minute' } },
      { name: 'time series, admin, hourly, 30 days', method: 'getTimeseries', md: admin.metadata(), req: { type: TYPES[1], interval: 'hour', from: iso(now - 30 * 86_400_000) } },
      { name: 'time series, admin, daily, 30 days', method: 'getTimeseries', md: admin.metadata(), req: { type: TYPES[2], interval: 'day', from: iso(now - 30 * 86_400_000) } },
    ];
    const queries = allQueries.filter((q) => !only || q.name.includes(only));
    const rows: string[] = [];
    for (const q of queries) {
      let answer = '';
      for (let i = 0; i < WARMUP; i++) answer = JSON.stringify(await call(q.method, q.req, q.md));
      const ms: number[] = [];
      for (let i = 0; i < CALLS; i++) {
        const s = performance.now();
        await call(q.method, q.req, q.md);
        ms.push(performance.now() - s);
      }
      ms.sort((a, b) => a - b);
      const parsed = JSON.parse(answer) as { totals?: { events: string }; points?: Array<{ count: string }> };
      const size = parsed.totals ? `${parsed.totals.events} events` : `${parsed.points?.length} points, Σ ${parsed.points?.reduce((n, p) => n + Number(p.count), 0)}`;
      rows.push(`| ${q.name} | ${size} | ${percentile(ms, 50).toFixed(1)} | ${percentile(ms, 99).toFixed(1)} |`);
      console.log(rows[rows.length - 1]);
    }

    if (only) return;
    await writeResult(
      'analytics-queries',
      `### Analytics reads at ${N.toLocaleString('en')} stored events (FerretDB 1.24, SQLite)

Machine: ${machineLine()}. ${N.toLocaleString('en')} events over ${DAYS} days, ${USERS} users, ${TYPES.length} types,
bulk-inserted as the consumer writes them (events + ingest journal)${Number.isNaN(seeded.seconds) ? '' : ` in ${seeded.seconds.toFixed(0)} s`}; the analytics process
(separate, default settings) then folded them into rollups in ${compactSeconds.toFixed(0)} s. ${CALLS} sequential gRPC calls
per query after ${WARMUP} warm-up calls; latencies in ms, client-measured (gRPC + token check + reads). Goal: p99 ≤ 50 ms.

| query | answer | p50 (ms) | p99 (ms) |
| --- | --- | ---: | ---: |
${rows.join('\n')}`,
    );
  } finally {
    client?.close();
    await svc?.stop();
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
