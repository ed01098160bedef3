/**
 * Review latency, analyzer-only vs with the model: code-assistant and ai-gateway as real
 * processes (dist/), code-assistant on its own PostgreSQL database and RabbitMQ vhost, the model
 * a fake OpenAI behind the real ai-gateway answering at once with a JSON review of three findings
 * (one that checks out, one past the end of the file, one misquoted). The 500-line files of
 * bench/code-review.ts (support/code-review-inputs.ts), BENCH_REVIEW_RUNS (default 20) Review
 * calls each way, alternating, after a warm-up. The difference is what the model path costs code-assistant
 * (prompt, gRPC to ai-gateway, its routing and limits, parsing and checking the answer, the
 * outbox event); a real model adds its own seconds on top.
 *
 *   npm run bench -- code-review-llm
 *
 * Writes bench/results/code-review-llm.md.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, loadPackageDefinition, type Client, type Metadata, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import Redis from 'ioredis';
import { PROTO_LOADER_OPTIONS, protoFile, protoRoot } from '@aether/contracts';
import { createTempDatabase, createTempVhost, FakeOpenAi, startApp, TEST_REDIS_URL, TestIdentities, uniqueName, type StartedApp, type TempResource } from '@aether/testing';
import { benchFiles, percentile, type BenchFile } from './support/code-review-inputs';
import { machineLine, writeResult } from './support/platform';

const RUNS = Number(process.env.BENCH_REVIEW_RUNS ?? 20);
const WARMUP = 3;
const KEY = 'sk-bench-code';
const MODEL = 'openai/bench-review';

type Unary = (req: unknown, md: Metadata, options: object, cb: (err: ServiceError | null, res: unknown) => void) => void;

/** The fake model's review of `file`: one finding quoting a real line, one past the end, one misquoted. */
function modelReview(file: BenchFile): string {
  const lines = file.content.split('\n');
  const at = lines.findIndex((l, i) => i > 10 && l.trim().length > 8);
  return JSON.stringify({
    summary: 'Bench review.',
    findings: [
      { path: file.path, line: at + 1, severity: 'warning', id: 'bench-real', message: 'A finding that checks out.', quote: lines[at].trim() },
      { path: file.path, line: lines.length + 50, severity: 'error', id: 'bench-ghost', message: 'Past the end.', quote: lines[at].trim() },
      { path: file.path, line: 2, severity: 'info', id: 'bench-misquote', message: 'Misquoted.', quote: 'this text is not on line two' },
    ],
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-code-llm-'));
  const identities = await new TestIdentities().start();
  const openai = await new FakeOpenAi(KEY).start();
  const resources: TempResource[] = [];
  const apps: StartedApp[] = [];
  const redisPrefix = `${uniqueName('bench_code')}:`;
  try {
    const [db, vhost] = await Promise.all([createTempDatabase('bench_code_assistant'), createTempVhost('bench_code')]);
    resources.push(db, vhost);
    const config = join(dir, 'ai-gateway.yaml');
    writeFileSync(
      config,
      `providers:\n  openai: { kind: openai, baseUrl: ${openai.baseUrl}, apiKeyEnv: BENCH_OPENAI_KEY }\nmodels:\n  ${MODEL}: { inputPerMTok: 0.15, outputPerMTok: 0.6, contextWindow: 128000 }\naliases: {}\nlimits:\n  developer: { usdPerDay: 100000, tokensPerMinute: 100000000, requestsPerMinute: 1000000 }\ncache: { ttlSeconds: 0 }\n`,
    );
    const aiGateway = await startApp('ai-gateway', {
      NODE_ENV: 'test', LOG_LEVEL: 'warn', AI_GATEWAY_CONFIG: config, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: redisPrefix,
      RABBITMQ_URL: vhost.url, AUTH_JWKS_URL: identities.jwksUrl, BENCH_OPENAI_KEY: KEY,
    });
    apps.push(aiGateway);
    const codeAssistant = await startApp('code-assistant', {
      NODE_ENV: 'test', LOG_LEVEL: 'warn', DATABASE_URL: db.url, RABBITMQ_URL: vhost.url, AUTH_JWKS_URL: identities.jwksUrl,
      AI_GATEWAY_GRPC_URL: aiGateway.grpcAddress, CODE_ASSISTANT_MODEL: MODEL,
    });
    apps.push(codeAssistant);

    const def = loadSync(protoFile('code-assistant'), { ...PROTO_LOADER_OPTIONS, includeDirs: [protoRoot()] });
    const pkg = loadPackageDefinition(def) as unknown as { aether: { code_assistant: { v1: { CodeAssistantService: new (a: string, c: ReturnType<typeof credentials.createInsecure>) => Client } } } };
    const client = new pkg.aether.code_assistant.v1.CodeAssistantService(codeAssistant.grpcAddress, credentials.createInsecure());
    const md = (await identities.user('developer')).metadata();
    const review = (req: unknown) =>
      new Promise<{ findings: { source: string }[]; summary: string; analyzers: { name: string; error: string }[] }>((resolve, reject) =>
        (client as unknown as Record<string, Unary>).Review.call(client, req, md, { deadline: Date.now() + 120_000 }, (err, res) => (err ? reject(err) : resolve(res as never))),
      );

    const load = loadavg()[0].toFixed(2);
    const rows: string[] = [];
    const files = benchFiles();
    for (const language of ['typescript', 'python'] as const) {
      const file = files[language];
      openai.script(MODEL.slice(MODEL.indexOf('/') + 1), { kind: 'reply', text: modelReview(file) });
      // Alternating calls, so load from anything else on the machine falls on both ways alike.
      for (let i = 0; i < WARMUP; i++) for (const llm of [false, true]) await review({ files: [file], llm });
      const times: Record<'off' | 'on', number[]> = { off: [], on: [] };
      const last: Partial<Record<'off' | 'on', Awaited<ReturnType<typeof review>>>> = {};
      for (let i = 0; i < RUNS; i++) {
        for (const way of i % 2 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
          const t0 = performance.now();
          last[way] = await review({ files: [file], llm: way === 'on' });
          times[way].push(performance.now() - t0);
        }
      }
      const llmRun = last.on!.analyzers.find((a) => a.name === 'llm');
      if (!llmRun || llmRun.error) throw new Error(`the model did not take part: ${llmRun?.error ?? 'no llm entry'}`);
      const summarise = (way: 'off' | 'on') => ({
        p50: percentile(times[way], 50),
        p95: percentile(times[way], 95),
        findings: last[way]!.findings.length,
        fromModel: last[way]!.findings.filter((f) => f.source === 'llm').length,
        dropped: /(\d+) model findings? dropped/.exec(last[way]!.summary)?.[1] ?? '0',
      });
      const off = summarise('off');
      const on = summarise('on');
      const ms = (n: number) => Math.round(n).toString();
      rows.push(`| ${language} | analyzers only (llm: false) | ${ms(off.p50)} / ${ms(off.p95)} | ${off.findings} | – | – |`);
      rows.push(`| ${language} | with the model | ${ms(on.p50)} / ${ms(on.p95)} | ${on.findings} | ${on.fromModel} | ${on.dropped} |`);
      rows.push(`| ${language} | model overhead | ${ms(on.p50 - off.p50)} / ${ms(on.p95 - off.p95)} | | | |`);
    }
    client.close();
    await writeResult(
      'code-review-llm',
      `### code-assistant: review latency, analyzer-only vs with the model

Machine: ${machineLine()}; load average ${load} at the start. One 500-line file per Review call over gRPC (code-assistant and ai-gateway as processes, real PostgreSQL outbox and RabbitMQ), ${RUNS} calls each way, alternating, after ${WARMUP} warm-up calls each. The model is a fake OpenAI behind the real ai-gateway that answers at once with three findings, of which only one checks out (one is past the end of the file, one misquotes its line): the rows show what the model path costs code-assistant, not a real model's latency.

| file (500 lines) | review | p50 / p95 (ms) | findings | from the model | model findings dropped |
| --- | --- | ---: | ---: | ---: | ---: |
${rows.join('\n')}
`,
    );
  } finally {
    for (const app of apps.reverse()) await app.stop().catch(() => undefined);
    for (const r of resources) await r.drop().catch(() => undefined);
    await openai.stop();
    await identities.stop();
    // ai-gateway's counters and usage rollups of this run.
    const redis = new Redis(TEST_REDIS_URL);
    const keys = await redis.keys(`${redisPrefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
