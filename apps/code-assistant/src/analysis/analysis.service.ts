import type { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { extname, join } from 'node:path';
import type { AnalysisResult, AnalyzeOptions, AnalyzerRun, CodeAnalysis, Finding, SourceFile } from './analysis.types';
import { DEFAULT_ANALYSIS_OPTIONS, type AnalysisOptions, type WorkerAnalyzerSpec } from './analysis.options';
import { detectLanguage, type Language } from './languages';
import { ShellCheck } from './tools/shellcheck';
import type { ToolInput, ToolOutput } from './tools/tool';
import { ToolWorkerPool } from './worker/tool-worker-pool';

const toolModule = (name: string) => join(__dirname, 'tools', `${name}.tool${extname(__filename)}`);

/** The in-process analyzers, each in its own worker threads. */
export const BUILT_IN_WORKER_ANALYZERS: WorkerAnalyzerSpec[] = [
  { name: 'eslint', module: toolModule('eslint'), languages: ['typescript', 'javascript'] },
  { name: 'typescript', module: toolModule('typescript'), languages: ['typescript', 'javascript'] },
  { name: 'ruff', module: toolModule('ruff'), languages: ['python'] },
  { name: 'dockerfile', module: toolModule('dockerfile'), languages: ['dockerfile'] },
  {
    name: 'tree-sitter',
    module: toolModule('tree-sitter'),
    languages: ['go', 'java', 'rust', 'cpp', 'csharp', 'ruby', 'php', 'css', 'powershell'],
  },
];

const SHELLCHECK = 'shellcheck';

interface Analyzer {
  name: string;
  languages: Language[];
  run(files: ToolInput[], timeoutMs: number, signal?: AbortSignal): Promise<ToolOutput & { version: string }>;
  version(timeoutMs: number): Promise<string>;
  close(): Promise<void>;
}

/**
 * The analysis entry point (CODE_ANALYSIS): picks each file's language, applies the file count
 * and size caps, runs every analyzer that applies in parallel, each bounded by the timeout, and
 * reports each analyzer's run — a failing, timed-out or missing tool is an `error` in its run,
 * never an exception, and the others' findings still come back.
 */
export class CodeAnalysisService implements CodeAnalysis, OnModuleInit, OnApplicationShutdown {
  private readonly analyzers: Analyzer[];
  private readonly versions = new Map<string, string>();
  private readonly pools = new Map<string, ToolWorkerPool>();

  constructor(private readonly options: AnalysisOptions = DEFAULT_ANALYSIS_OPTIONS) {
    const workers = (options.workerAnalyzers ?? BUILT_IN_WORKER_ANALYZERS).map((spec): Analyzer => {
      const pool = new ToolWorkerPool({ module: spec.module, threads: options.threadsPerAnalyzer, memoryMb: options.workerMemoryMb, idleMs: options.idleMs });
      this.pools.set(spec.name, pool);
      return {
        name: spec.name,
        languages: spec.languages,
        run: (files, timeoutMs, signal) => pool.run(files, timeoutMs, signal),
        version: (timeoutMs) => pool.warm(timeoutMs),
        close: () => pool.close(),
      };
    });
    const shellcheck = new ShellCheck(options.shellcheckPath);
    this.analyzers = [
      ...workers,
      {
        name: SHELLCHECK,
        languages: ['shell'],
        run: async (files, timeoutMs, signal) => {
          const started = Date.now();
          const version = await shellcheck.getVersion(timeoutMs);
          this.versions.set(SHELLCHECK, version); // known even when the check itself then fails
          const deadline = started + timeoutMs;
          return { version, ...(await shellcheck.analyze(files, Math.max(1, deadline - Date.now()), signal)) };
        },
        version: (timeoutMs) => shellcheck.getVersion(timeoutMs),
        close: async () => undefined,
      },
    ];
  }

  onModuleInit(): void {
    // Loading ESLint, TypeScript and the WebAssembly tools takes a second or two (and ~375 MB):
    // at start-up when asked, else on first use.
    if (this.options.preload) void this.warmUp().catch(() => undefined);
  }

  /** Worker threads alive per in-process analyzer (idle ones exit after `idleMs`). */
  threadCounts(): Record<string, number> {
    return Object.fromEntries([...this.pools].map(([name, pool]) => [name, pool.size]));
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.analyzers.map((a) => a.close()));
  }

  /** Loads every analyzer (and learns its version); resolves with the ones that failed to load. */
  async warmUp(): Promise<AnalyzerRun[]> {
    const failed: AnalyzerRun[] = [];
    await Promise.all(
      this.analyzers.map(async (a) => {
        const started = Date.now();
        try {
          this.versions.set(a.name, await a.version(Math.max(this.options.timeoutMs, 30000)));
        } catch (err) {
          failed.push({ name: a.name, version: '', files: 0, durationMs: Date.now() - started, error: (err as Error).message });
        }
      }),
    );
    return failed;
  }

  async analyze(files: SourceFile[], options: AnalyzeOptions = {}): Promise<AnalysisResult> {
    const { maxFiles, maxFileBytes, timeoutMs } = this.options;
    const work = new Map<Analyzer, ToolInput[]>();
    const skipped = new Map<Analyzer, string[]>();
    let considered = 0;
    for (const file of files) {
      const language = detectLanguage(file.path, file.content, options.language);
      if (!language) continue;
      const applicable = this.analyzers.filter((a) => a.languages.includes(language));
      if (applicable.length === 0) continue;
      considered++;
      const bytes = Buffer.byteLength(file.content, 'utf8');
      const reason =
        considered > maxFiles
          ? `${file.path} skipped: over the limit of ${maxFiles} files per review`
          : bytes > maxFileBytes
            ? `${file.path} skipped: ${bytes} bytes is over the limit of ${maxFileBytes}`
            : undefined;
      for (const a of applicable) {
        if (reason) skipped.set(a, [...(skipped.get(a) ?? []), reason]);
        else work.set(a, [...(work.get(a) ?? []), { path: file.path, content: file.content, language }]);
      }
    }

    const runs = await Promise.all(
      this.analyzers
        .filter((a) => work.has(a) || skipped.has(a))
        .map((a) => this.runOne(a, work.get(a) ?? [], skipped.get(a) ?? [], timeoutMs, options.signal)),
    );
    const findings = runs
      .flatMap((r) => r.findings)
      .sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : x.line - y.line || (x.column ?? 0) - (y.column ?? 0)));
    return { findings, analyzers: runs.map((r) => r.run) };
  }

  private async runOne(analyzer: Analyzer, files: ToolInput[], skipped: string[], timeoutMs: number, signal?: AbortSignal) {
    const started = Date.now();
    const problems: string[] = [];
    let findings: Finding[] = [];
    if (files.length > 0) {
      try {
        const out = await analyzer.run(files, timeoutMs, signal);
        this.versions.set(analyzer.name, out.version);
        findings = out.findings;
        problems.push(...out.errors);
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
    // Summarise many skipped files instead of listing each.
    problems.push(...(skipped.length > 5 ? [...skipped.slice(0, 5), `and ${skipped.length - 5} more files skipped`] : skipped));
    const run: AnalyzerRun = {
      name: analyzer.name,
      version: this.versions.get(analyzer.name) ?? '',
      files: files.length,
      durationMs: Date.now() - started,
      ...(problems.length > 0 && { error: problems.join('; ') }),
    };
    return { run, findings };
  }
}
