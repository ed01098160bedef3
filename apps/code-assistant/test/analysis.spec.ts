// The analyzers with the real tools (ESLint, TypeScript, Ruff's WebAssembly build, Debian's
// ShellCheck, dockerfile-ast, tree-sitter) in their worker threads and subprocesses: the right
// rules on the right lines, nothing on clean code, the repository's configuration never honoured
// or run, and every bound (size cap, timeout, missing tool) reported without stopping the review.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_ANALYSIS_OPTIONS } from '../src/analysis/analysis.options';
import { BUILT_IN_WORKER_ANALYZERS, CodeAnalysisService } from '../src/analysis/analysis.service';
import type { AnalysisResult, Finding } from '../src/analysis/analysis.types';

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const lineOf = (content: string, needle: string) => content.split('\n').findIndex((l) => l.includes(needle)) + 1;
const rules = (r: AnalysisResult, path?: string) => r.findings.filter((f) => !path || f.path === path).map((f) => f.rule);
const at = (r: AnalysisResult, rule: string): Finding[] => r.findings.filter((f) => f.rule === rule);

// Code under test is built from parts so the repository's own lint never sees an eval here.
const EVAL = 'ev' + 'al';

const INSECURE_TS = [
  'export function run(input: string, expected: number): unknown {',
  '  const n = Number(input);',
  `  if (n == expected) {`,
  `    return ${EVAL}(input);`,
  '  }',
  '  return n;',
  '}',
  '',
].join('\n');

const INSECURE_PY = [
  'import subprocess',
  '',
  'DB_PASSWORD = "s3cr3t-hunter2"',
  '',
  '',
  'def run(cmd: str) -> int:',
  '    return subprocess.run(cmd, shell=True).returncode',
  '',
].join('\n');

const INSECURE_SH = ['#!/bin/bash', 'set -eu', 'DIR=$1', 'rm -rf $DIR/*', ''].join('\n');

describe('code analysis (real analyzers)', () => {
  let analysis: CodeAnalysisService;

  beforeAll(async () => {
    analysis = new CodeAnalysisService({ ...DEFAULT_ANALYSIS_OPTIONS, timeoutMs: 60_000 });
    expect(await analysis.warmUp()).toEqual([]);
  }, 120_000);

  afterAll(async () => {
    await analysis?.onApplicationShutdown();
  });

  it('TypeScript: eval and == are eslint/no-eval and eslint/eqeqeq on their lines; a type error is typescript/TS2322', async () => {
    const content = INSECURE_TS + 'export const count: number = "three";\n';
    const r = await analysis.analyze([{ path: 'src/run.ts', content }]);
    expect(at(r, 'eslint/no-eval')).toEqual([expect.objectContaining({ path: 'src/run.ts', line: lineOf(content, EVAL), severity: 'error', source: 'eslint' })]);
    // The fix as a suggestion: the whole line as it should read (a GitHub suggestion block replaces lines).
    expect(at(r, 'eslint/eqeqeq')).toEqual([
      expect.objectContaining({ line: lineOf(content, '=='), column: 9, severity: 'warning', source: 'eslint', suggestion: '  if (n === expected) {' }),
    ]);
    expect(at(r, 'typescript/TS2322')).toEqual([expect.objectContaining({ line: lineOf(content, '"three"'), severity: 'error', source: 'typescript' })]);
    expect(r.analyzers.map((a) => a.name).sort()).toEqual(['eslint', 'typescript']);
    for (const a of r.analyzers) expect(a).toEqual({ name: a.name, version: expect.stringMatching(/^\d+\.\d+/), files: 1, durationMs: expect.any(Number) });
  });

  it('JavaScript: the same security rules, and a syntax error reported once (by the compiler)', async () => {
    const content = `const f = new Function("a", "return a");\nsetTimeout("alert(1)", 10);\nfunction g( {\n`;
    const r = await analysis.analyze([{ path: 'web/app.js', content }]);
    const syntax = r.findings.filter((f) => f.rule.startsWith('typescript/TS1'));
    expect(syntax.length).toBeGreaterThanOrEqual(1);
    expect(r.findings.filter((f) => f.source === 'eslint')).toEqual([]); // no second report of the parse error
    const r2 = await analysis.analyze([{ path: 'web/app.js', content: content.split('\n').slice(0, 2).join('\n') + '\n' }]);
    expect(rules(r2).sort()).toEqual(['eslint/no-implied-eval', 'eslint/no-new-func']);
    expect(at(r2, 'eslint/no-implied-eval')[0].line).toBe(2);
  });

  it('Python: shell=True is ruff/S602 and a hard-coded password ruff/S105, on their lines', async () => {
    const r = await analysis.analyze([{ path: 'tools/deploy.py', content: INSECURE_PY }]);
    expect(at(r, 'ruff/S602')).toEqual([expect.objectContaining({ line: lineOf(INSECURE_PY, 'shell=True'), severity: 'error', source: 'ruff' })]);
    expect(at(r, 'ruff/S105')).toEqual([expect.objectContaining({ line: lineOf(INSECURE_PY, 'DB_PASSWORD'), source: 'ruff' })]);
    // S404 (importing subprocess) is informational in bandit; we report what was asked for and little else.
    expect(rules(r).every((rule) => rule.startsWith('ruff/S'))).toBe(true);
    expect(r.analyzers).toEqual([expect.objectContaining({ name: 'ruff', version: '0.17.3', files: 1 })]);
  });

  it('Shell: unquoted rm -rf $DIR/* is shellcheck/SC2086 and SC2115 on its line, with a quoting suggestion; a shebang names the language', async () => {
    const r = await analysis.analyze([
      { path: 'scripts/clean.sh', content: INSECURE_SH },
      { path: 'bin/cleanup', content: INSECURE_SH },
    ]);
    const line = lineOf(INSECURE_SH, 'rm -rf');
    for (const path of ['scripts/clean.sh', 'bin/cleanup']) {
      expect(r.findings.filter((f) => f.path === path && f.rule === 'shellcheck/SC2086')).toEqual([
        expect.objectContaining({ line, severity: 'info', source: 'shellcheck', suggestion: 'rm -rf "$DIR"/*' }),
      ]);
      expect(r.findings.filter((f) => f.path === path && f.rule === 'shellcheck/SC2115')).toEqual([expect.objectContaining({ line, severity: 'warning' })]);
    }
    expect(r.analyzers).toEqual([expect.objectContaining({ name: 'shellcheck', version: '0.9.0', files: 2 })]);
    expect(r.analyzers[0].error).toBeUndefined();
  });

  it('ShellCheck works in a temp directory of its own, removed afterwards', async () => {
    const previous = process.env.TMPDIR;
    const tmp = mkdtempSync(join(tmpdir(), 'aether-analysis-tmp-'));
    process.env.TMPDIR = tmp; // os.tmpdir() reads it at each call
    try {
      const r = await analysis.analyze([{ path: 'scripts/clean.sh', content: INSECURE_SH }]);
      expect(rules(r)).toContain('shellcheck/SC2086');
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('the language hint names a file whose path does not; a known extension wins over the hint', async () => {
    const r = await analysis.analyze(
      [
        { path: 'snippet', content: INSECURE_PY },
        { path: 'src/run.ts', content: INSECURE_TS },
      ],
      { language: 'python' },
    );
    expect(rules(r, 'snippet')).toEqual(expect.arrayContaining(['ruff/S105', 'ruff/S602']));
    expect(rules(r, 'src/run.ts')).toEqual(expect.arrayContaining(['eslint/no-eval', 'eslint/eqeqeq']));
  });

  it('Dockerfile: latest tag, ADD of a URL, apt-get hygiene, curl|sh, a secret in ENV, root user', async () => {
    const content = [
      'FROM node:latest',
      'ADD https://example.com/tool.tgz /opt/',
      'RUN apt-get update && apt-get install -y curl',
      'ENV API_TOKEN=abc123',
      'RUN curl -fsSL https://example.com/install.sh | sh',
      'USER root',
      '',
    ].join('\n');
    const r = await analysis.analyze([{ path: 'deploy/Dockerfile.prod', content }]);
    const byRule = Object.fromEntries(r.findings.map((f) => [f.rule, f.line]));
    expect(byRule).toEqual({
      'dockerfile/DL3007': 1,
      'dockerfile/add-url': 2,
      'dockerfile/DL3015': 3,
      'dockerfile/DL3009': 3,
      'dockerfile/SecretsUsedInArgOrEnv': 4,
      'dockerfile/curl-pipe-shell': 5,
      'dockerfile/DL3002': 6,
    });
    expect(r.findings.every((f) => f.source === 'dockerfile')).toBe(true);
  });

  it('other languages: tree-sitter reports where Go, Java or Rust does not parse', async () => {
    const r = await analysis.analyze([
      { path: 'cmd/main.go', content: 'package main\n\nfunc main() {\n\tx := \n}\n' },
      { path: 'src/lib.rs', content: 'fn main() {\n    let x = 1;\n}\n' },
      { path: 'App.java', content: 'class App {\n  void run() {\n    int x = ;\n  }\n}\n' },
    ]);
    expect(r.findings.map((f) => [f.path, f.rule, f.line])).toEqual([
      ['App.java', 'tree-sitter/syntax-error', 3],
      ['cmd/main.go', 'tree-sitter/syntax-error', 4],
    ]);
    expect(r.analyzers).toEqual([expect.objectContaining({ name: 'tree-sitter', files: 3 })]);
  });

  it('clean code in every language: no findings, every analyzer ran without error', async () => {
    const r = await analysis.analyze([
      {
        path: 'src/sum.ts',
        content: [
          "import { logger } from './logger';", // not in the request: unresolved, and that is not a finding
          "import type { Config } from '@acme/config';",
          '',
          'export function sum(values: number[], config?: Config): number {',
          '  const total = values.reduce((a, b) => a + b, 0);',
          '  if (total === 0 || config == null) logger.debug("empty");',
          '  return total;',
          '}',
          '',
        ].join('\n'),
      },
      { path: 'web/util.js', content: 'export const double = (n) => n * 2;\n' },
      { path: 'app/calc.py', content: 'import subprocess\n\n\ndef run(args: list[str]) -> int:\n    return subprocess.run(args, check=False).returncode  # noqa: S603\n' },
      { path: 'scripts/hello.sh', content: '#!/bin/sh\nset -eu\nname=${1:-world}\nprintf "hello %s\\n" "$name"\n' },
      { path: 'Dockerfile', content: 'FROM node:20.11-slim\nRUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*\nCOPY app.js /app/\nUSER 10001\nCMD ["node", "/app/app.js"]\n' },
      { path: 'main.go', content: 'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println("hi")\n}\n' },
    ]);
    expect(r.findings).toEqual([]);
    expect(r.analyzers.map((a) => a.name).sort()).toEqual(['dockerfile', 'eslint', 'ruff', 'shellcheck', 'tree-sitter', 'typescript']);
    for (const a of r.analyzers) expect(a.error).toBeUndefined();
  });

  it("the repository's config files are never run nor honoured: no marker, our rules still apply", async () => {
    const marker = join(tmpdir(), `aether-analysis-marker-${process.pid}-${Date.now()}`);
    const writeMarker = `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran');`;
    const r = await analysis.analyze([
      { path: 'eslint.config.js', content: `${writeMarker}\nmodule.exports = [{ rules: { 'no-eval': 'off', eqeqeq: 'off' } }];\n` },
      { path: 'eslint.config.mjs', content: `import fs from 'node:fs';\nfs.writeFileSync(${JSON.stringify(marker)}, 'ran');\nexport default [];\n` },
      { path: '.eslintrc.js', content: `${writeMarker}\nmodule.exports = { plugins: ['marker'], rules: { 'no-eval': 'off' } };\n` },
      { path: 'ruff.toml', content: '[lint]\nignore = ["S"]\n' },
      { path: 'pyproject.toml', content: '[tool.ruff.lint]\nignore = ["S"]\n[tool.ruff]\nextend = "/etc/passwd"\n' },
      { path: '.shellcheckrc', content: 'disable=SC2086,SC2115\n' },
      { path: 'tsconfig.json', content: '{"compilerOptions":{"plugins":[{"name":"marker"}],"strict":false,"noImplicitAny":false}}\n' },
      // Inline configuration is ignored too (noInlineConfig): the repository cannot switch a rule off in a comment.
      { path: 'src/run.ts', content: `/* eslint no-eval: "off" */\n${INSECURE_TS}` },
      { path: 'tools/deploy.py', content: INSECURE_PY },
      { path: 'scripts/clean.sh', content: INSECURE_SH },
    ]);
    expect(existsSync(marker)).toBe(false);
    rmSync(marker, { force: true });
    expect(rules(r, 'src/run.ts')).toEqual(expect.arrayContaining(['eslint/eqeqeq', 'eslint/no-eval']));
    expect(rules(r, 'tools/deploy.py')).toEqual(expect.arrayContaining(['ruff/S105', 'ruff/S602']));
    expect(rules(r, 'scripts/clean.sh')).toEqual(expect.arrayContaining(['shellcheck/SC2086', 'shellcheck/SC2115']));
    // The config files that are code were analysed as code, never loaded.
    expect(r.analyzers.find((a) => a.name === 'eslint')).toEqual(expect.objectContaining({ files: 4 }));
  });

  it('a 5 MB file is skipped and reported at once; the other files are still analysed', async () => {
    const big = 'export const a = 1;\n'.repeat(Math.ceil((5 * 1024 * 1024) / 20));
    const started = Date.now();
    const r = await analysis.analyze([
      { path: 'src/generated.ts', content: big },
      { path: 'src/run.ts', content: INSECURE_TS },
    ]);
    expect(Date.now() - started).toBeLessThan(3000);
    const eslint = r.analyzers.find((a) => a.name === 'eslint')!;
    expect(eslint.files).toBe(1);
    expect(eslint.error).toMatch(/src\/generated\.ts skipped: \d+ bytes is over the limit of 1048576/);
    expect(rules(r, 'src/run.ts')).toContain('eslint/no-eval');
    expect(r.findings.filter((f) => f.path === 'src/generated.ts')).toEqual([]);
  });

  it('more files than the cap: the rest are reported as skipped', async () => {
    const capped = new CodeAnalysisService({ ...DEFAULT_ANALYSIS_OPTIONS, maxFiles: 2, workerAnalyzers: BUILT_IN_WORKER_ANALYZERS.filter((a) => a.name === 'ruff') });
    try {
      const files = Array.from({ length: 4 }, (_, i) => ({ path: `m${i}.py`, content: INSECURE_PY }));
      const r = await capped.analyze(files);
      expect(r.analyzers).toEqual([expect.objectContaining({ name: 'ruff', files: 2, error: expect.stringContaining('m2.py skipped: over the limit of 2 files') })]);
      expect([...new Set(r.findings.map((f) => f.path))].sort()).toEqual(['m0.py', 'm1.py']);
    } finally {
      await capped.onApplicationShutdown();
    }
  }, 60_000);
});

describe('code analysis bounds', () => {
  it('a stuck analyzer is reported as timed out within its limit and the others still answer', async () => {
    const timeoutMs = 6000;
    const slow = new CodeAnalysisService({
      ...DEFAULT_ANALYSIS_OPTIONS,
      timeoutMs,
      workerAnalyzers: [
        ...BUILT_IN_WORKER_ANALYZERS.filter((a) => a.name === 'eslint'),
        { name: 'busy-loop', module: join(__dirname, 'fixtures/analyzers/busy-loop.tool.js'), languages: ['typescript'] },
      ],
    });
    try {
      expect(await slow.warmUp()).toEqual([]);
      const started = Date.now();
      const r = await slow.analyze([{ path: 'src/run.ts', content: INSECURE_TS }]);
      const elapsed = Date.now() - started;
      expect(elapsed).toBeLessThan(timeoutMs + 1500);
      expect(r.analyzers.find((a) => a.name === 'busy-loop')).toEqual(
        expect.objectContaining({ version: 'test', files: 1, error: `timed out after ${timeoutMs} ms`, durationMs: expect.any(Number) }),
      );
      expect(r.analyzers.find((a) => a.name === 'busy-loop')!.durationMs).toBeLessThan(timeoutMs + 1000);
      expect(r.analyzers.find((a) => a.name === 'eslint')!.error).toBeUndefined();
      expect(rules(r)).toEqual(expect.arrayContaining(['eslint/eqeqeq', 'eslint/no-eval']));
      // Its thread was terminated and is replaced: the next review is bounded the same way.
      const again = await slow.analyze([{ path: 'src/run.ts', content: INSECURE_TS }]);
      expect(again.analyzers.find((a) => a.name === 'busy-loop')!.error).toBe(`timed out after ${timeoutMs} ms`);
      expect(rules(again)).toContain('eslint/no-eval');
    } finally {
      await slow.onApplicationShutdown();
    }
  }, 90_000);

  it('a hung ShellCheck is killed at the timeout (its children too) and its temp directory removed', async () => {
    const previous = process.env.TMPDIR;
    const tmp = mkdtempSync(join(tmpdir(), 'aether-analysis-tmp-'));
    process.env.TMPDIR = tmp;
    const hung = new CodeAnalysisService({
      ...DEFAULT_ANALYSIS_OPTIONS,
      timeoutMs: 1500,
      shellcheckPath: join(__dirname, 'fixtures/analyzers/slow-shellcheck.sh'),
      workerAnalyzers: [],
    });
    try {
      const started = Date.now();
      const r = await hung.analyze([{ path: 'scripts/clean.sh', content: INSECURE_SH }]);
      expect(Date.now() - started).toBeLessThan(3000);
      expect(r.analyzers).toEqual([expect.objectContaining({ name: 'shellcheck', version: '0.0-slow', files: 1, error: expect.stringMatching(/^timed out after \d+ ms$/) })]);
      expect(r.analyzers[0].durationMs).toBeLessThan(2500);
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
      rmSync(tmp, { recursive: true, force: true });
      await hung.onApplicationShutdown();
    }
  }, 30_000);

  it('a review cancelled by its caller stops the analyzers at once', async () => {
    const cancelled = new CodeAnalysisService({
      ...DEFAULT_ANALYSIS_OPTIONS,
      workerAnalyzers: [{ name: 'busy-loop', module: join(__dirname, 'fixtures/analyzers/busy-loop.tool.js'), languages: ['typescript'] }],
    });
    try {
      const started = Date.now();
      const r = await cancelled.analyze([{ path: 'src/run.ts', content: INSECURE_TS }], { signal: AbortSignal.timeout(500) });
      expect(Date.now() - started).toBeLessThan(2500);
      expect(r.analyzers).toEqual([expect.objectContaining({ name: 'busy-loop', error: 'cancelled' })]);
    } finally {
      await cancelled.onApplicationShutdown();
    }
  }, 30_000);

  it('an analyzer past its heap cap is stopped and reported; the others still answer', async () => {
    const hog = new CodeAnalysisService({
      ...DEFAULT_ANALYSIS_OPTIONS,
      timeoutMs: 60_000,
      workerMemoryMb: 64,
      workerAnalyzers: [
        ...BUILT_IN_WORKER_ANALYZERS.filter((a) => a.name === 'ruff'),
        { name: 'memory-hog', module: join(__dirname, 'fixtures/analyzers/memory-hog.tool.js'), languages: ['python'] },
      ],
    });
    try {
      const r = await hog.analyze([{ path: 'tools/deploy.py', content: INSECURE_PY }]);
      expect(r.analyzers.find((a) => a.name === 'memory-hog')!.error).toBe('ran out of memory (limit 64 MB)');
      expect(rules(r)).toEqual(expect.arrayContaining(['ruff/S105', 'ruff/S602']));
    } finally {
      await hog.onApplicationShutdown();
    }
  }, 90_000);

  it('the tools get no environment: none of the service variables (secrets) reach a worker or a subprocess', async () => {
    process.env.AETHER_ANALYSIS_TEST_SECRET = 'must-not-leak';
    const probe = new CodeAnalysisService({
      ...DEFAULT_ANALYSIS_OPTIONS,
      shellcheckPath: join(__dirname, 'fixtures/analyzers/fake-shellcheck.sh'),
      workerAnalyzers: [{ name: 'env-probe', module: join(__dirname, 'fixtures/analyzers/env-probe.tool.js'), languages: ['python'] }],
    });
    try {
      const r = await probe.analyze([
        { path: 'tools/deploy.py', content: INSECURE_PY },
        { path: 'scripts/clean.sh', content: INSECURE_SH },
      ]);
      const seen = Object.fromEntries(r.findings.map((f) => [f.source, f.message]));
      expect(JSON.parse(seen['env-probe'])).toEqual({});
      expect(seen.shellcheck).toMatch(/LC_ALL/);
      expect(seen.shellcheck).not.toMatch(/AETHER_ANALYSIS_TEST_SECRET|must-not-leak|DATABASE_URL|HOME=|PATH=/);
    } finally {
      delete process.env.AETHER_ANALYSIS_TEST_SECRET;
      await probe.onApplicationShutdown();
    }
  }, 60_000);

  it('an idle analyzer thread exits (its memory back) and the next review starts it again', async () => {
    const idle = new CodeAnalysisService({ ...DEFAULT_ANALYSIS_OPTIONS, idleMs: 300, workerAnalyzers: BUILT_IN_WORKER_ANALYZERS.filter((a) => a.name === 'ruff') });
    try {
      expect(idle.threadCounts()).toEqual({ ruff: 0 }); // nothing loaded before the first review (no preload)
      expect(rules(await idle.analyze([{ path: 'tools/deploy.py', content: INSECURE_PY }]))).toContain('ruff/S602');
      expect(idle.threadCounts()).toEqual({ ruff: 1 });
      await waitUntil(() => idle.threadCounts().ruff === 0, 5000);
      expect(rules(await idle.analyze([{ path: 'tools/deploy.py', content: INSECURE_PY }]))).toContain('ruff/S602');
    } finally {
      await idle.onApplicationShutdown();
    }
  }, 60_000);

  it('a missing shellcheck binary is an error in analyzers; the review goes on', async () => {
    const missing = new CodeAnalysisService({
      ...DEFAULT_ANALYSIS_OPTIONS,
      shellcheckPath: '/nonexistent/bin/shellcheck',
      workerAnalyzers: BUILT_IN_WORKER_ANALYZERS.filter((a) => a.name === 'ruff'),
    });
    try {
      const r = await missing.analyze([
        { path: 'scripts/clean.sh', content: INSECURE_SH },
        { path: 'tools/deploy.py', content: INSECURE_PY },
      ]);
      expect(r.analyzers.find((a) => a.name === 'shellcheck')).toEqual(
        expect.objectContaining({ version: '', files: 1, error: 'shellcheck not found at /nonexistent/bin/shellcheck' }),
      );
      expect(rules(r)).toEqual(expect.arrayContaining(['ruff/S105', 'ruff/S602']));
      expect(r.findings.filter((f) => f.source === 'shellcheck')).toEqual([]);
    } finally {
      await missing.onApplicationShutdown();
    }
  }, 60_000);
});
