import type { BaseEnv } from '@aether/service-kit';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsInt, IsString, Matches, Max, Min } from 'class-validator';

type EnvClass = new (...args: any[]) => BaseEnv;

/**
 * The analyzers' bounds, added to code-assistant's env class:
 * `class CodeAssistantEnv extends AnalysisEnv(PostgresEnv(AuthEnv(BaseEnv)))`.
 */
export function AnalysisEnv<TBase extends EnvClass>(Base: TBase) {
  class WithAnalysisEnv extends Base {
    /** Time one analyzer may take for one review (queueing included); past it, it is reported as timed out and the review goes on. */
    @Type(() => Number) @IsInt() @Min(100) @Max(600000)
    ANALYSIS_TIMEOUT_MS = 20000;

    /** Files analysed per review; the rest are reported as skipped. */
    @Type(() => Number) @IsInt() @Min(1) @Max(10000)
    ANALYSIS_MAX_FILES = 200;

    /** Largest file analysed (bytes, UTF-8); a larger one is reported as skipped. */
    @Type(() => Number) @IsInt() @Min(1024) @Max(64 * 1024 * 1024)
    ANALYSIS_MAX_FILE_BYTES = 1024 * 1024;

    /** Heap limit of each analyzer worker thread (MB); a tool that needs more is stopped and reported. */
    @Type(() => Number) @IsInt() @Min(64) @Max(8192)
    ANALYSIS_WORKER_MEMORY_MB = 512;

    /** Worker threads per in-process analyzer (ESLint, TypeScript, Ruff, tree-sitter, Dockerfile rules). */
    @Type(() => Number) @IsInt() @Min(1) @Max(16)
    ANALYSIS_THREADS_PER_ANALYZER = 1;

    /** Load every analyzer at start-up (about 375 MB of worker threads; the first review is then 1–3 s faster) instead of on first use. */
    @Transform(({ value }) => (value === undefined || value === '' ? false : value === true || value === 'true' || value === '1')) @IsBoolean()
    ANALYSIS_PRELOAD = false;

    /** An analyzer's worker thread idle this long (ms) exits and gives its memory back; the next review starts it again. 0 = never. */
    @Type(() => Number) @IsInt() @Min(0) @Max(86_400_000)
    ANALYSIS_IDLE_MS = 300_000;

    /** The ShellCheck binary (Debian's shellcheck; installed by the image and scripts/ensure-analyzers.sh). */
    @IsString() @Matches(/^\//, { message: 'ANALYSIS_SHELLCHECK_PATH must be an absolute path' })
    ANALYSIS_SHELLCHECK_PATH = '/usr/bin/shellcheck';
  }
  return WithAnalysisEnv;
}
