import type { Language } from './languages';

/** An analyzer run in worker threads: a module exporting `tool` (a WorkerTool), for these languages. */
export interface WorkerAnalyzerSpec {
  name: string;
  module: string;
  languages: Language[];
}

export interface AnalysisOptions {
  timeoutMs: number;
  maxFiles: number;
  maxFileBytes: number;
  workerMemoryMb: number;
  threadsPerAnalyzer: number;
  shellcheckPath: string;
  /** Load every analyzer at start-up (first review fast) instead of on first use (idle memory low). */
  preload: boolean;
  /** An analyzer thread idle this long exits; 0 = never. */
  idleMs: number;
  /** Replaces the built-in in-process analyzers (tests add a deliberately slow one this way). */
  workerAnalyzers?: WorkerAnalyzerSpec[];
}

export const DEFAULT_ANALYSIS_OPTIONS: AnalysisOptions = {
  timeoutMs: 20000,
  maxFiles: 200,
  maxFileBytes: 1024 * 1024,
  workerMemoryMb: 512,
  threadsPerAnalyzer: 1,
  shellcheckPath: '/usr/bin/shellcheck',
  preload: false,
  idleMs: 300_000,
};

/** The env's ANALYSIS_* variables (AnalysisEnv) as options; the defaults where the env class lacks them. */
export function analysisOptionsFromEnv(env: Partial<Record<string, unknown>>): AnalysisOptions {
  const num = (key: string, fallback: number) => (typeof env[key] === 'number' ? (env[key] as number) : fallback);
  const d = DEFAULT_ANALYSIS_OPTIONS;
  return {
    timeoutMs: num('ANALYSIS_TIMEOUT_MS', d.timeoutMs),
    maxFiles: num('ANALYSIS_MAX_FILES', d.maxFiles),
    maxFileBytes: num('ANALYSIS_MAX_FILE_BYTES', d.maxFileBytes),
    workerMemoryMb: num('ANALYSIS_WORKER_MEMORY_MB', d.workerMemoryMb),
    threadsPerAnalyzer: num('ANALYSIS_THREADS_PER_ANALYZER', d.threadsPerAnalyzer),
    shellcheckPath: typeof env.ANALYSIS_SHELLCHECK_PATH === 'string' ? env.ANALYSIS_SHELLCHECK_PATH : d.shellcheckPath,
    preload: typeof env.ANALYSIS_PRELOAD === 'boolean' ? env.ANALYSIS_PRELOAD : d.preload,
    idleMs: num('ANALYSIS_IDLE_MS', d.idleMs),
  };
}
