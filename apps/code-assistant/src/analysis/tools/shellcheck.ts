// Debian's ShellCheck as a subprocess: files written to a fresh temp directory (removed after),
// no rc file (--norc), no sourcing of other files (no -x), an environment with nothing but the
// locale, CPU and file-size limits through prlimit, and a kill timer.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Finding, Severity } from '../analysis.types';
import { shellDialect } from '../languages';
import { ToolTimeoutError } from '../worker/tool-worker-pool';
import type { ToolInput, ToolOutput } from './tool';
import { suggestionFromEdits } from './tool';

const PRLIMIT = '/usr/bin/prlimit';
/** More output than this is a runaway tool, not findings. */
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

interface ShellCheckComment {
  file: string;
  line: number;
  endLine: number;
  column: number;
  endColumn: number;
  level: 'error' | 'warning' | 'info' | 'style';
  code: number;
  message: string;
  fix: { replacements: { line: number; column: number; endLine: number; endColumn: number; replacement: string }[] } | null;
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class ShellCheck {
  private version?: Promise<string>;

  constructor(private readonly binary: string) {}

  /** `shellcheck --version`'s version line (cached); rejects when the binary is missing. */
  getVersion(timeoutMs: number): Promise<string> {
    this.version ??= this.exec(['--version'], undefined, timeoutMs).then((r) => {
      const v = /^version:\s*(\S+)/m.exec(r.stdout)?.[1];
      if (!v) throw new Error(`${this.binary} --version printed no version`);
      return v;
    });
    this.version.catch(() => (this.version = undefined));
    return this.version;
  }

  async analyze(files: ToolInput[], timeoutMs: number, signal?: AbortSignal): Promise<ToolOutput> {
    const deadline = Date.now() + timeoutMs;
    const dir = await mkdtemp(join(tmpdir(), 'aether-shellcheck-'));
    try {
      // Our own file names (the repository's are only mapped back): nothing it names is opened.
      const names = new Map<string, ToolInput>();
      const groups = new Map<string, string[]>();
      await Promise.all(
        files.map(async (file, i) => {
          const name = `f${i}.sh`;
          names.set(name, file);
          await writeFile(join(dir, name), file.content, { mode: 0o600 });
          // Without a shebang ShellCheck would refuse to guess (SC2148); assume bash (.ksh/.dash: those).
          const dialect = file.content.startsWith('#!') ? '' : shellDialect(file.path);
          groups.set(dialect, [...(groups.get(dialect) ?? []), name]);
        }),
      );
      const findings: Finding[] = [];
      const errors: string[] = [];
      for (const [dialect, group] of groups) {
        const args = ['--norc', '-f', 'json1', '-S', 'info', ...(dialect ? ['-s', dialect] : []), '--', ...group];
        const r = await this.exec(args, dir, Math.max(1, deadline - Date.now()), signal, timeoutMs);
        // 0: clean, 1: findings; anything else is ShellCheck failing.
        if (r.code !== 0 && r.code !== 1) {
          errors.push(`shellcheck exited ${r.code}: ${r.stderr.trim().slice(0, 300)}`);
          continue;
        }
        const comments = (JSON.parse(r.stdout || '{"comments":[]}') as { comments: ShellCheckComment[] }).comments;
        for (const c of comments) {
          const file = names.get(c.file);
          if (!file) continue;
          findings.push(toFinding(file, c));
        }
      }
      return { findings, errors };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Runs the binary for at most `timeoutMs`; a timeout is reported as the run's whole budget (`budgetMs`). */
  private exec(args: string[], cwd: string | undefined, timeoutMs: number, signal?: AbortSignal, budgetMs = timeoutMs): Promise<RunResult> {
    const cpuSeconds = Math.max(1, Math.ceil(timeoutMs / 1000));
    const [command, argv] = existsSync(PRLIMIT)
      ? [PRLIMIT, [`--cpu=${cpuSeconds}`, '--fsize=0', '--nofile=64', '--', this.binary, ...args]]
      : [this.binary, args];
    return new Promise<RunResult>((resolve, reject) => {
      if (!existsSync(this.binary)) return reject(new Error(`shellcheck not found at ${this.binary}`));
      // Its own process group, so the kill takes anything it started too (whose open pipe would hold us up).
      const child = spawn(command, argv, { cwd: cwd ?? tmpdir(), env: { LC_ALL: 'C.UTF-8' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let size = 0;
      let failure: Error | undefined;
      const kill = (e: Error) => {
        failure ??= e;
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      };
      const timer = setTimeout(() => kill(new ToolTimeoutError(`timed out after ${budgetMs} ms`)), timeoutMs);
      const onAbort = () => kill(new Error('cancelled'));
      signal?.addEventListener('abort', onAbort, { once: true });
      child.stdout.on('data', (d: Buffer) => {
        size += d.length;
        if (size > MAX_OUTPUT_BYTES) kill(new Error('shellcheck printed more than 16 MB'));
        else out.push(d);
      });
      child.stderr.on('data', (d: Buffer) => err.length < 64 && err.push(d));
      child.on('error', (e) => kill(e));
      child.on('close', (code) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (failure) return reject(failure);
        resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
      });
    });
  }
}

function severity(level: ShellCheckComment['level']): Severity {
  return level === 'error' ? 'error' : level === 'warning' ? 'warning' : 'info';
}

function toFinding(file: ToolInput, c: ShellCheckComment): Finding {
  const finding: Finding = {
    path: file.path,
    line: c.line,
    column: c.column,
    endLine: c.endLine,
    severity: severity(c.level),
    rule: `shellcheck/SC${c.code}`,
    source: 'shellcheck',
    message: c.message,
  };
  if (c.fix?.replacements.length) {
    const s = suggestionFromEdits(
      file.content,
      finding.line,
      finding.endLine,
      c.fix.replacements.map((r) => ({ startLine: r.line, startColumn: r.column, endLine: r.endLine, endColumn: r.endColumn, text: r.replacement })),
    );
    if (s) Object.assign(finding, s);
  }
  return finding;
}
