// Reviews: code-assistant on real PostgreSQL and RabbitMQ with the real analyzers, the model
// through a real ai-gateway process in front of a fake OpenAI. The model's findings are kept
// only when their file, line and quoted code check out; with a diff only added lines count.
import { createTwoFilesPatch } from 'diff';
import type { Metadata } from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import type { TestUser } from '@aether/testing';
import { CodePlatform, MODEL, codeClient, reply } from './review-platform';

jest.setTimeout(180_000);

// 1 export function run(input: string): unknown {
// 2   const limit = 10;
// 3   if (input.length == limit) {
// 4     return eval(input);
// 5   }
// 6   return input.toUpperCase();
// 7 }
const APP_TS = ['export function run(input: string): unknown {', '  const limit = 10;', '  if (input.length == limit) {', '    return eval(input);', '  }', '  return input.toUpperCase();', '}', ''].join('\n');

const platform = new CodePlatform();
let code: ReturnType<typeof codeClient>;
let dev: TestUser;
let md: Metadata;

beforeAll(async () => {
  await platform.start();
  code = codeClient(platform.grpcAddress);
  dev = await platform.user('developer');
  md = dev.metadata();
});

afterAll(async () => {
  code?.close();
  await platform.stop();
});

describe('review', () => {
  it('keeps a model finding whose line and quote check out, drops one past the end, one misquoted and one on another file', async () => {
    platform.script(
      reply({
        summary: 'Input reaches eval unchecked.',
        findings: [
          { path: 'src/app.ts', line: 6, severity: 'medium', id: 'unvalidated-input', message: 'The input is used without any validation.', quote: 'return   input.toUpperCase();' },
          { path: 'src/app.ts', line: 40, severity: 'high', id: 'ghost', message: 'A problem on a line that does not exist.', quote: 'return eval(input);' },
          { path: 'src/app.ts', line: 2, severity: 'low', id: 'magic-number', message: 'Magic number.', quote: 'const limit = 100;' },
          { path: 'src/other.ts', line: 1, severity: 'error', id: 'elsewhere', message: 'Not a reviewed file.', quote: 'export function run(input: string): unknown {' },
          { path: 'src/app.ts', line: 4, severity: 'critical', id: 'no-eval', message: 'eval runs arbitrary code.', quote: 'return eval(input);', suggestion: 'return JSON.parse(input);' },
        ],
      }),
    );
    const before = platform.openai.requests.length;
    const res = await code.call<any>('Review', { files: [{ path: 'src/app.ts', content: APP_TS }] }, md);

    // The analyzers' findings, exact.
    const evalFinding = res.findings.find((f: any) => f.rule === 'eslint/no-eval');
    expect(evalFinding).toMatchObject({ path: 'src/app.ts', line: 4, source: 'eslint', severity: expect.stringMatching(/^(error|warning)$/) });
    // The model's same issue on the same line merged into it (its suggestion lent), not repeated.
    expect(evalFinding.suggestion).toBeTruthy();
    const llm = res.findings.filter((f: any) => f.source === 'llm');
    expect(llm).toEqual([
      expect.objectContaining({ path: 'src/app.ts', line: 6, rule: 'llm/unvalidated-input', severity: 'warning', message: 'The input is used without any validation.' }),
    ]);
    expect(res.summary).toMatch(/3 model findings dropped/);
    expect(res.analyzers).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'llm', version: MODEL, files: 1, error: '' })]));
    expect(res.analyzers.map((a: any) => a.name)).toEqual(expect.arrayContaining(['eslint', 'llm']));

    // The model saw the numbered code and the analyzers' findings, as JSON was asked for.
    const [chat] = platform.chats(before);
    expect(chat.response_format).toEqual({ type: 'json_object' });
    const prompt = chat.messages.map((m) => m.content).join('\n');
    expect(prompt).toContain('4:     return eval(input);');
    expect(prompt).toContain('eslint/no-eval');

    const metrics = await (await fetch(`http://127.0.0.1:${platform.service!.httpPort}/metrics`)).text();
    // Checked and kept: the new one and the one merged into eslint's; dropped: the other three.
    expect(metrics).toMatch(/^code_assistant_model_findings_total\{outcome="dropped",service="code-assistant"\} 3$/m);
    expect(metrics).toMatch(/^code_assistant_model_findings_total\{outcome="kept",service="code-assistant"\} 2$/m);

    const event = await platform.event('code-assistant.review.completed', (e) => e.data.droppedFindings === 3);
    expect(event.subject).toBe(dev.id);
    expect(event.data).toMatchObject({ input: 'files', files: 1, model: MODEL });
    expect(JSON.stringify(event.data)).not.toContain('eval(input)'); // no source code in events
  });

  it('llm: false answers from the analyzers alone, without asking the model', async () => {
    const before = platform.openai.requests.length;
    const res = await code.call<any>('Review', { files: [{ path: 'src/app.ts', content: APP_TS }], llm: false }, md);
    expect(platform.openai.requests.length).toBe(before);
    expect(res.findings.map((f: any) => f.rule)).toContain('eslint/no-eval');
    expect(res.findings.every((f: any) => f.source !== 'llm')).toBe(true);
    expect(res.summary).toMatch(/model was not asked.*analyzer findings only/);
    expect(res.analyzers.map((a: any) => a.name)).not.toContain('llm');
  });

  it('a model that is down leaves the analyzer findings, and the summary and analyzers say so', async () => {
    platform.script({ kind: 'error', status: 503, message: 'overloaded' });
    const res = await code.call<any>('Review', { files: [{ path: 'src/app.ts', content: APP_TS }] }, md);
    expect(res.findings.map((f: any) => f.rule)).toContain('eslint/no-eval');
    expect(res.findings.every((f: any) => f.source !== 'llm')).toBe(true);
    expect(res.summary).toMatch(/No model answered .*analyzer findings only/);
    const run = res.analyzers.find((a: any) => a.name === 'llm');
    expect(run.error).toMatch(/ai-gateway answered/);
  });

  it('a model that hangs is cut off by the deadline and the review still answers', async () => {
    platform.script({ kind: 'hang' });
    const started = Date.now();
    const res = await code.call<any>('Review', { files: [{ path: 'src/app.ts', content: APP_TS }] }, md);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(res.analyzers.find((a: any) => a.name === 'llm').error).toMatch(/UPSTREAM_TIMEOUT|DEADLINE|did not answer/i);
    expect(res.findings.map((f: any) => f.rule)).toContain('eslint/no-eval');
  });

  it('a model answer that is not the JSON asked for is reported, not guessed from', async () => {
    platform.script({ kind: 'reply', text: 'Looks fine to me! Line 2 is bad.' });
    const res = await code.call<any>('Review', { files: [{ path: 'src/app.ts', content: APP_TS }] }, md);
    expect(res.findings.every((f: any) => f.source !== 'llm')).toBe(true);
    expect(res.analyzers.find((a: any) => a.name === 'llm').error).toMatch(/JSON/);
  });

  it('with a diff reports only findings on the lines it adds (analyzers and model alike)', async () => {
    const before = ['export function check(a: string, b: string): boolean {', '  return a == b;', '}', ''].join('\n');
    const after = ['export function check(a: string, b: string): boolean {', '  return a == b;', '}', '', 'export function run(src: string): unknown {', '  return eval(src);', '}', ''].join('\n');
    const diff = createTwoFilesPatch('a/src/check.ts', 'b/src/check.ts', before, after);
    platform.script(
      reply({
        findings: [
          { path: 'src/check.ts', line: 2, severity: 'warning', id: 'loose-equality', message: 'Use === to compare strings.', quote: 'return a == b;' },
          { path: 'src/check.ts', line: 5, severity: 'info', id: 'any-return', message: 'Return a narrower type than unknown.', quote: 'export function run(src: string): unknown {' },
        ],
      }),
    );
    const from = platform.openai.requests.length;
    const res = await code.call<any>('Review', { files: [{ path: 'src/check.ts', content: after }], diff }, md);
    const lines = res.findings.map((f: any) => `${f.rule}@${f.line}`);
    expect(lines).toContain('eslint/no-eval@6');
    expect(lines).toContain('llm/any-return@5');
    // Line 2 (== and the model's finding on it) is context, not a change.
    expect(res.findings.filter((f: any) => f.line < 5)).toEqual([]);
    // Without the diff the same file has findings on line 2 (the test would pass vacuously otherwise).
    const whole = await code.call<any>('Review', { files: [{ path: 'src/check.ts', content: after }], llm: false }, md);
    expect(whole.findings.some((f: any) => f.line === 2)).toBe(true);
    // The model was told which lines changed.
    expect(platform.chats(from)[0].messages.map((m) => m.content).join('\n')).toContain('+6:   return eval(src);');
    const event = await platform.event('code-assistant.review.completed', (e) => e.data.input === 'diff');
    expect(event.data.files).toBe(1);
  });

  it('refuses a diff that does not fit the files, naming the field', async () => {
    const after = 'const a = 1;\nconst b = 2;\n';
    const diff = createTwoFilesPatch('a/x.ts', 'b/x.ts', 'const a = 1;\n', after);
    const mismatch = await code.failure('Review', { files: [{ path: 'x.ts', content: 'const a = 1;\nconst c = 3;\n' }], diff, llm: false }, md);
    expect(mismatch.grpcCode).toBe(status.INVALID_ARGUMENT);
    expect(mismatch.violations).toEqual([expect.objectContaining({ field: 'diff', message: expect.stringMatching(/does not match x\.ts: line 2/) })]);
    const missing = await code.failure('Review', { files: [{ path: 'y.ts', content: after }], diff, llm: false }, md);
    expect(missing.violations.map((v) => v.field)).toEqual(['files', 'files']);
    const notADiff = await code.failure('Review', { files: [{ path: 'x.ts', content: after }], diff: 'hello, not a diff', llm: false }, md);
    expect(notADiff.violations).toEqual([expect.objectContaining({ field: 'diff' })]);
  });

  it('validates every input with INVALID_ARGUMENT naming the fields, before any analyzer or model runs', async () => {
    const before = platform.openai.requests.length;
    const bad = await code.failure(
      'Review',
      {
        files: [
          { path: '/etc/passwd', content: 'x' },
          { path: 'src/../../secret.ts', content: 'x' },
          { path: 'ok.ts', content: '' },
          { path: 'nul.ts', content: 'a\u0000b' },
          { path: 'ok.ts', content: 'y' },
        ],
        language: 'Type Script!',
        focus: 'x'.repeat(501),
      },
      md,
    );
    expect(bad.grpcCode).toBe(status.INVALID_ARGUMENT);
    expect(bad.violations.map((v) => v.field)).toEqual(['files.0.path', 'files.1.path', 'files.2.content', 'files.3.content', 'files.4.path', 'language', 'focus']);
    const none = await code.failure('Review', { files: [] }, md);
    expect(none.violations).toEqual([{ field: 'files', message: expect.stringMatching(/required/) }]);
    const many = await code.failure('Review', { files: Array.from({ length: 101 }, (_, i) => ({ path: `f${i}.ts`, content: 'x' })) }, md);
    expect(many.violations[0]).toEqual({ field: 'files', message: expect.stringMatching(/at most 100/) });
    expect(platform.openai.requests.length).toBe(before);
  });

  it('needs code:use', async () => {
    const viewer = await platform.user('viewer');
    const denied = await code.failure('Review', { files: [{ path: 'a.ts', content: 'x' }] }, viewer.metadata());
    expect(denied.grpcCode).toBe(status.PERMISSION_DENIED);
  });
});
