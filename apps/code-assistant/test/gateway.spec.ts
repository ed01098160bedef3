/**
 * The code routes of the public API through real processes: `code-assistant`, `ai-gateway` and
 * `api-gateway` from dist/ (run the build first), code-assistant on its own PostgreSQL database
 * and RabbitMQ vhost, the model a fake OpenAI behind the real ai-gateway.
 */
import { applyPatch, createTwoFilesPatch } from 'diff';
import { startApp, TEST_REDIS_URL, uniqueName, type StartedApp, type TestUser } from '@aether/testing';
import { CodePlatform, reply } from './review-platform';

jest.setTimeout(240_000);

const platform = new CodePlatform();
const redisPrefix = `${uniqueName('gw_code')}:`;
let codeAssistant: StartedApp | undefined;
let gateway: StartedApp | undefined;
let base: string;
let dev: TestUser;
let viewer: TestUser;

const APP_TS = 'export function run(input: string): unknown {\n  if (input == "x") return eval(input);\n  return input;\n}\n';

beforeAll(async () => {
  await platform.start({ inProcess: false });
  codeAssistant = await startApp('code-assistant', platform.env());
  gateway = await startApp('api-gateway', {
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: redisPrefix,
    AUTH_JWKS_URL: platform.identities.jwksUrl,
    CODE_ASSISTANT_GRPC_URL: codeAssistant.grpcAddress,
  });
  base = gateway.httpUrl;
  [dev, viewer] = await Promise.all([platform.user('developer'), platform.user('viewer')]);
});

afterAll(async () => {
  await gateway?.stop(5000);
  await codeAssistant?.stop(5000);
  await platform.stop();
});

interface Res {
  status: number;
  headers: Headers;
  body: any;
}

async function post(user: TestUser | undefined, url: string, json: unknown): Promise<Res> {
  const res = await fetch(base + url, {
    method: 'POST',
    headers: { ...(user ? user.bearer() : {}), 'content-type': 'application/json' },
    body: JSON.stringify(json),
    signal: AbortSignal.timeout(120_000),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

const expectProblem = (res: Res, status: number, code?: string) => {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  if (code) expect(res.body.code).toBe(code);
};

describe('POST /api/v1/code/*', () => {
  it('401 without credentials, 403 without code:use', async () => {
    for (const path of ['review', 'refactor', 'tests', 'explain']) {
      expectProblem(await post(undefined, `/api/v1/code/${path}`, {}), 401);
      expectProblem(await post(viewer, `/api/v1/code/${path}`, { path: 'a.ts', content: 'x', instruction: 'y', files: [{ path: 'a.ts', content: 'x' }] }), 403);
    }
  });

  it('400 for unknown fields, nested ones too, and for values of the wrong type', async () => {
    const unknown = await post(dev, '/api/v1/code/review', { files: [{ path: 'a.ts', content: 'x' }], model: 'gpt' });
    expectProblem(unknown, 400, 'VALIDATION_FAILED');
    expect(unknown.body.errors).toEqual([{ field: 'model', message: 'is not a known field' }]);
    const nested = await post(dev, '/api/v1/code/review', { files: [{ path: 'a.ts', content: 'x', mode: 'fast' }] });
    expectProblem(nested, 400);
    expect(nested.body.errors).toEqual([{ field: 'files.0.mode', message: 'is not a known field' }]);
    const llm = await post(dev, '/api/v1/code/review', { files: [{ path: 'a.ts', content: 'x' }], llm: 'yes' });
    expect(llm.body.errors).toEqual([expect.objectContaining({ field: 'llm' })]);
    expectProblem(await post(dev, '/api/v1/code/refactor', { path: 'a.ts', content: 'x', instruction: 'y', extra: 1 }), 400);
    expectProblem(await post(dev, '/api/v1/code/tests', { path: 'a.ts', content: 'x', language: 'ts' }), 400);
    expectProblem(await post(dev, '/api/v1/code/explain', { content: 'x', model: 'm' }), 400);
    for (const body of [{}, { files: 'x' }, { files: [null] }, { files: [] }, { files: [{ path: 'a.ts' }] }]) {
      const res = await post(dev, '/api/v1/code/review', body);
      expect([JSON.stringify(body), res.status]).toEqual([JSON.stringify(body), 400]);
      expect(res.body.errors?.[0]?.field).toMatch(/^files/);
    }
    expect((await post(dev, '/api/v1/code/review', { files: [{ path: 'a.ts' }] })).body.errors).toEqual([{ field: 'files.0.content', message: 'is required' }]);
    // The service's own rules (relative paths) answer as problem+json with the field too.
    const abs = await post(dev, '/api/v1/code/review', { files: [{ path: '/etc/passwd', content: 'x' }], llm: false });
    expectProblem(abs, 400);
    expect(abs.body.errors).toEqual([expect.objectContaining({ field: 'files.0.path' })]);
  });

  it('reviews files: analyzer and checked model findings in the contract shape', async () => {
    platform.script(
      reply({
        findings: [
          { path: 'src/app.ts', line: 3, severity: 'info', id: 'returns-input', message: 'Returns the raw input.', quote: 'return input;' },
          { path: 'src/app.ts', line: 9, severity: 'error', id: 'ghost', message: 'Invented.', quote: 'return input;' },
        ],
      }),
    );
    const res = await post(dev, '/api/v1/code/review', { files: [{ path: 'src/app.ts', content: APP_TS }] });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['analyzers', 'findings', 'summary']);
    expect(res.body.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'src/app.ts', line: 2, rule: 'eslint/no-eval', source: 'eslint', severity: expect.any(String), message: expect.any(String) }),
        { path: 'src/app.ts', line: 3, severity: 'info', rule: 'llm/returns-input', source: 'llm', message: 'Returns the raw input.' },
      ]),
    );
    expect(res.body.findings.some((f: any) => f.rule === 'llm/ghost')).toBe(false);
    for (const f of res.body.findings) expect(['info', 'warning', 'error']).toContain(f.severity);
    const llm = res.body.analyzers.find((a: any) => a.name === 'llm');
    expect(llm).toEqual({ name: 'llm', version: 'openai/code-model', files: 1, durationMs: expect.any(Number) });
    expect(res.body.summary).toMatch(/1 model finding dropped/);
  });

  it('reviews a diff (only added lines) and answers from the analyzers when llm is false', async () => {
    const before = 'export function run(input: string): unknown {\n  if (input == "x") return input;\n  return input;\n}\n';
    const diff = createTwoFilesPatch('a/src/app.ts', 'b/src/app.ts', before, APP_TS);
    const res = await post(dev, '/api/v1/code/review', { files: [{ path: 'src/app.ts', content: APP_TS }], diff, llm: false });
    expect(res.status).toBe(200);
    expect(res.body.findings.length).toBeGreaterThan(0);
    expect(res.body.findings.every((f: any) => f.line === 2)).toBe(true);
    expect(res.body.analyzers.map((a: any) => a.name)).not.toContain('llm');
    expect(res.body.summary).toMatch(/analyzer findings only/);
    const bad = await post(dev, '/api/v1/code/review', { files: [{ path: 'src/other.ts', content: APP_TS }], diff, llm: false });
    expectProblem(bad, 400, 'VALIDATION_FAILED');
  });

  it('refactors: content, a diff that applies, explanation; invalid code twice is 422 GENERATED_CODE_INVALID', async () => {
    const input = 'export const add = (a: number, b: number): number => {\n  return a + b;\n};\n';
    const output = 'export function add(a: number, b: number): number {\n  return a + b;\n}\n';
    platform.script(reply({ content: output, explanation: 'Arrow function to declaration.' }));
    const ok = await post(dev, '/api/v1/code/refactor', { path: 'src/add.ts', content: input, instruction: 'use a function declaration' });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ content: output, diff: expect.any(String), explanation: 'Arrow function to declaration.' });
    expect(applyPatch(input, ok.body.diff)).toBe(output);
    platform.script(reply({ content: 'export function add(a: number, b: number): number {\n  return a + ;\n}\n' }));
    const invalid = await post(dev, '/api/v1/code/refactor', { path: 'src/add.ts', content: input, instruction: 'break it' });
    expectProblem(invalid, 422, 'GENERATED_CODE_INVALID');
    expect(invalid.body.type).toBe('https://aether.dev/problems/generated-code-invalid');
  });

  it('writes tests and explains', async () => {
    const spec = "import { add } from './add';\n\nit('adds', () => expect(add(1, 2)).toBe(3));\n";
    platform.script(reply({ content: spec }));
    const tests = await post(dev, '/api/v1/code/tests', { path: 'src/add.ts', content: 'export const add = (a: number, b: number) => a + b;\n', framework: 'jest' });
    expect(tests.status).toBe(200);
    expect(tests.body).toEqual({ path: 'src/add.spec.ts', content: spec });
    platform.script({ kind: 'reply', text: 'It adds two numbers.' });
    const explain = await post(dev, '/api/v1/code/explain', { content: 'const add = (a, b) => a + b;', question: 'What does it do?' });
    expect(explain.status).toBe(200);
    expect(explain.body).toEqual({ explanation: 'It adds two numbers.' });
  });

  it('a model that is down: review still 200 from the analyzers, assists 503', async () => {
    platform.script({ kind: 'error', status: 503 });
    const review = await post(dev, '/api/v1/code/review', { files: [{ path: 'src/app.ts', content: APP_TS }] });
    expect(review.status).toBe(200);
    expect(review.body.analyzers.find((a: any) => a.name === 'llm').error).toBeTruthy();
    expect(review.body.findings.map((f: any) => f.rule)).toContain('eslint/no-eval');
    expectProblem(await post(dev, '/api/v1/code/explain', { content: 'x = 1' }), 503);
  });

  it('publishes the events of what was answered', async () => {
    await platform.event('code-assistant.review.completed', (e) => e.subject === dev.id && e.data.input === 'diff');
    await platform.event('code-assistant.assist.completed', (e) => e.data.kind === 'tests' && e.data.status === 'ok');
    await platform.event('code-assistant.assist.completed', (e) => e.data.kind === 'refactor' && e.data.errorCode === 'GENERATED_CODE_INVALID');
  });
});
