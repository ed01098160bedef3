/**
 * Review latency of a 500-line file per analyzer: the analysis code-assistant runs (its worker
 * threads, ShellCheck's subprocess) on one 500-line file of each language, BENCH_REVIEW_RUNS
 * (default 20) times after a warm-up, p50/p95 of each analyzer's own duration and of the whole
 * analysis call; plus each analyzer's cold start (thread start + loading the tool).
 *
 *   npm run bench -- code-review
 *
 * `measureAnalysis` is the reusable part (a review through ReviewService with and without the
 * model can be measured with the same files and percentiles: support/code-review-inputs.ts).
 */
import { loadavg } from 'node:os';
// The analysis is code-assistant's own module (the rule keeps apps apart; a bench is no app).
// eslint-disable-next-line no-restricted-imports
import { DEFAULT_ANALYSIS_OPTIONS } from '../apps/code-assistant/src/analysis/analysis.options';
// eslint-disable-next-line no-restricted-imports
import { CodeAnalysisService } from '../apps/code-assistant/src/analysis/analysis.service';
// eslint-disable-next-line no-restricted-imports
import type { CodeAnalysis } from '../apps/code-assistant/src/analysis/analysis.types';
import { benchFiles, percentile, type BenchFile } from './support/code-review-inputs';
import { machineLine, writeResult } from './support/platform';

const RUNS = Number(process.env.BENCH_REVIEW_RUNS ?? 20);
const WARMUP = 2;

export interface AnalysisTiming {
  language: string;
  analyzer: string;
  version: string;
  findings: number;
  p50: number;
  p95: number;
  /** The whole analyze() call for the file (all its analyzers in parallel). */
  callP50: number;
  callP95: number;
  error?: string;
}

/** Runs `analysis` on each file `runs` times (after `warmup` unmeasured runs): per-analyzer p50/p95. */
export async function measureAnalysis(analysis: CodeAnalysis, files: Record<string, BenchFile>, runs = RUNS, warmup = WARMUP): Promise<AnalysisTiming[]> {
  const rows: AnalysisTiming[] = [];
  for (const [language, file] of Object.entries(files)) {
    for (let i = 0; i < warmup; i++) await analysis.analyze([file]);
    const calls: number[] = [];
    const per = new Map<string, { durations: number[]; version: string; findings: number; error?: string }>();
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      const result = await analysis.analyze([file]);
      calls.push(performance.now() - started);
      for (const run of result.analyzers) {
        const entry = per.get(run.name) ?? { durations: [], version: run.version, findings: 0 };
        entry.durations.push(run.durationMs);
        entry.findings = result.findings.filter((f) => f.source === run.name).length;
        entry.error ??= run.error;
        per.set(run.name, entry);
      }
    }
    for (const [analyzer, e] of per) {
      rows.push({
        language,
        analyzer,
        version: e.version,
        findings: e.findings,
        p50: percentile(e.durations, 50),
        p95: percentile(e.durations, 95),
        callP50: percentile(calls, 50),
        callP95: percentile(calls, 95),
        ...(e.error && { error: e.error }),
      });
    }
  }
  return rows;
}

async function main(): Promise<void> {
  const analysis = new CodeAnalysisService(DEFAULT_ANALYSIS_OPTIONS);
  try {
    const coldStarted = performance.now();
    const failed = await analysis.warmUp();
    const coldMs = performance.now() - coldStarted;
    if (failed.length) throw new Error(`analyzers failed to load: ${failed.map((f) => `${f.name}: ${f.error}`).join('; ')}`);
    const load = loadavg()[0].toFixed(2);
    const rows = await measureAnalysis(analysis, benchFiles());
    const ms = (n: number) => Math.round(n).toString();
    const table = rows
      .map((r) => `| ${r.language} | ${r.analyzer} ${r.version} | ${r.findings} | ${ms(r.p50)} / ${ms(r.p95)} | ${ms(r.callP50)} / ${ms(r.callP95)} |${r.error ? ` ${r.error} |` : ' |'}`)
      .join('\n');
    await writeResult(
      'code-review',
      `### code-assistant: review latency of a 500-line file per analyzer

Machine: ${machineLine()}; load average ${load} at the start. ${RUNS} runs per file after ${WARMUP} warm-up runs, one file at a time, the analyzers' defaults (one worker thread each, 512 MB heap cap, 20 s timeout). Loading every analyzer once (threads, ESLint + typescript-eslint, the TypeScript libs, Ruff and tree-sitter WebAssembly, \`shellcheck --version\`) took ${ms(coldMs)} ms: paid at start-up with ANALYSIS_PRELOAD=true, else by the first review (idle threads exit after ANALYSIS_IDLE_MS and are loaded again).

| file (500 lines) | analyzer | findings | analyzer p50 / p95 (ms) | whole analysis p50 / p95 (ms) | error |
| --- | --- | ---: | ---: | ---: | --- |
${table}
`,
    );
  } finally {
    await analysis.onApplicationShutdown();
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
