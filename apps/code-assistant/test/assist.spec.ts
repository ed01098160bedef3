// Refactor, tests and explain: code-assistant on real PostgreSQL and RabbitMQ, the model through
// a real ai-gateway process in front of a fake OpenAI. Generated code must parse (TypeScript:
// and type-check as one file) or the model is asked once more with the errors, then 422-worthy.
import { applyPatch } from 'diff';
import type { Metadata } from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import type { TestUser } from '@aether/testing';
import { CodePlatform, codeClient, reply } from './review-platform';

jest.setTimeout(180_000);

const MATH_TS = ['export function total(xs: number[]): number {', '  let sum = 0;', '  for (let i = 0; i < xs.length; i++) {', '    sum = sum + xs[i];', '  }', '  return sum;', '}', ''].join('\n');
const REFACTORED = ['export function total(xs: number[]): number {', '  return xs.reduce((sum, x) => sum + x, 0);', '}', ''].join('\n');

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

const lastUser = (chat: { messages: { role: string; content: string }[] }) => chat.messages.filter((m) => m.role === 'user').at(-1)!.content;

describe('refactor', () => {
  it('returns code that parses, and a unified diff that turns the input into it', async () => {
    platform.script(reply({ content: REFACTORED, explanation: 'The loop became a reduce.' }));
    const res = await code.call<any>('Refactor', { path: 'src/math.ts', content: MATH_TS, instruction: 'use reduce' }, md);
    expect(res).toEqual({ content: REFACTORED, diff: expect.stringContaining('@@'), explanation: 'The loop became a reduce.' });
    expect(applyPatch(MATH_TS, res.diff)).toBe(REFACTORED);
    const event = await platform.event('code-assistant.assist.completed', (e) => e.data.kind === 'refactor' && e.data.status === 'ok');
    expect(event).toMatchObject({ subject: dev.id, data: { language: 'typescript', model: 'openai/code-model' } });
  });

  it('code that does not parse is sent back once with the errors, and the fixed code is returned', async () => {
    const from = platform.openai.requests.length;
    platform.script(reply({ content: 'export function total(xs: number[]): number {\n  return xs.reduce((sum, x) => sum + , 0);\n}\n', explanation: 'v1' }), reply({ content: REFACTORED, explanation: 'v2' }));
    const res = await code.call<any>('Refactor', { path: 'src/math.ts', content: MATH_TS, instruction: 'use reduce' }, md);
    expect(res.content).toBe(REFACTORED);
    expect(res.explanation).toBe('v2');
    const chats = platform.chats(from);
    expect(chats).toHaveLength(2);
    expect(lastUser(chats[1])).toMatch(/line 2: TS1109: Expression expected/);
  });

  it('a type error counts too (TypeScript is type-checked as one file)', async () => {
    const from = platform.openai.requests.length;
    platform.script(reply({ content: 'export function total(xs: number[]): number {\n  return "0";\n}\n' }), reply({ content: REFACTORED }));
    const res = await code.call<any>('Refactor', { path: 'src/math.ts', content: MATH_TS, instruction: 'simplify' }, md);
    expect(res.content).toBe(REFACTORED);
    expect(lastUser(platform.chats(from)[1])).toMatch(/TS2322/);
  });

  it('invalid twice: GENERATED_CODE_INVALID (FAILED_PRECONDITION, 422 at the gateway), and an error event', async () => {
    platform.script(reply({ content: 'export function total(xs: number[]: number {' }));
    const err = await code.failure('Refactor', { path: 'src/math.ts', content: MATH_TS, instruction: 'use reduce' }, md);
    expect(err.grpcCode).toBe(status.FAILED_PRECONDITION);
    expect(err.code).toBe('GENERATED_CODE_INVALID');
    expect(err.message).toMatch(/still invalid after one retry/);
    await platform.event('code-assistant.assist.completed', (e) => e.data.status === 'error' && e.data.errorCode === 'GENERATED_CODE_INVALID');
  });

  it('an answer that is not the JSON asked for gets the same one retry', async () => {
    platform.script({ kind: 'reply', text: 'Sure! Here is your code: total = sum(xs)' }, reply({ content: REFACTORED, explanation: 'ok' }));
    const res = await code.call<any>('Refactor', { path: 'src/math.ts', content: MATH_TS, instruction: 'use reduce' }, md);
    expect(res.content).toBe(REFACTORED);
  });

  it('a model that is down is a 503-class error, not a made-up answer', async () => {
    platform.script({ kind: 'error', status: 503 });
    const err = await code.failure('Refactor', { path: 'src/math.ts', content: MATH_TS, instruction: 'use reduce' }, md);
    expect(err.grpcCode).toBe(status.UNAVAILABLE);
  });

  it('validates its input, naming the fields', async () => {
    const err = await code.failure('Refactor', { path: '../x.ts', content: '', instruction: ' ' }, md);
    expect(err.grpcCode).toBe(status.INVALID_ARGUMENT);
    expect(err.violations.map((v) => v.field)).toEqual(['path', 'content', 'instruction']);
  });
});

describe('tests', () => {
  it('answers a test file at the usual path of the language, checked to parse', async () => {
    const spec = "import { total } from './math';\n\ndescribe('total', () => {\n  it('adds', () => expect(total([1, 2])).toBe(3));\n});\n";
    platform.script(reply({ content: spec }));
    const res = await code.call<any>('GenerateTests', { path: 'src/math.ts', content: MATH_TS }, md);
    expect(res).toEqual({ path: 'src/math.spec.ts', content: spec });
    platform.script(reply({ content: spec }));
    expect((await code.call<any>('GenerateTests', { path: 'src/math.ts', content: MATH_TS, framework: 'vitest' }, md)).path).toBe('src/math.test.ts');
  });

  it('Python: pytest at test_<name>.py; a syntax error is retried once', async () => {
    const from = platform.openai.requests.length;
    const good = 'from app.util import double\n\n\ndef test_double():\n    assert double(2) == 4\n';
    platform.script(reply({ content: 'def test_double(:\n    assert double(2) == 4\n' }), reply({ content: good }));
    const res = await code.call<any>('GenerateTests', { path: 'app/util.py', content: 'def double(x):\n    return x * 2\n' }, md);
    expect(res).toEqual({ path: 'app/test_util.py', content: good });
    expect(platform.chats(from)).toHaveLength(2);
    expect(platform.chats(from)[0].messages[0].content).toMatch(/pytest/);
  });

  it('other languages are parsed by the analyzers (Go: tree-sitter): a syntax error is retried once', async () => {
    const from = platform.openai.requests.length;
    const good = 'package calc\n\nimport "testing"\n\nfunc TestAdd(t *testing.T) {\n\tif Add(1, 2) != 3 {\n\t\tt.Fatal("1 + 2")\n\t}\n}\n';
    platform.script(reply({ content: 'package calc\n\nimport "testing"\n\nfunc TestAdd(t *testing.T) {\n\tif Add(1, 2) != 3 {\n\t\tt.Fatal("1 + 2"\n\t}\n' }), reply({ content: good }));
    const res = await code.call<any>('GenerateTests', { path: 'calc/add.go', content: 'package calc\n\nfunc Add(a, b int) int { return a + b }\n' }, md);
    expect(res).toEqual({ path: 'calc/add_test.go', content: good });
    const chats = platform.chats(from);
    expect(chats).toHaveLength(2);
    expect(lastUser(chats[1])).toMatch(/tree-sitter\/syntax-error/);
  });
});

describe('explain', () => {
  it('passes the question and the code to the model and answers its explanation', async () => {
    const from = platform.openai.requests.length;
    platform.script({ kind: 'reply', text: 'It adds the numbers one by one (line 4).' });
    const res = await code.call<any>('Explain', { path: 'src/math.ts', content: MATH_TS, question: 'Why a for loop?' }, md);
    expect(res).toEqual({ explanation: 'It adds the numbers one by one (line 4).' });
    const prompt = lastUser(platform.chats(from)[0]);
    expect(prompt).toContain('Why a for loop?');
    expect(prompt).toContain('sum = sum + xs[i];');
    await platform.event('code-assistant.assist.completed', (e) => e.data.kind === 'explain' && e.data.status === 'ok');
  });

  it('needs content; path is optional but checked', async () => {
    const err = await code.failure('Explain', { path: '/abs', content: '' }, md);
    expect(err.violations.map((v) => v.field)).toEqual(['path', 'content']);
  });
});
