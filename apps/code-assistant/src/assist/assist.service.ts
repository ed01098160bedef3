import { Inject, Injectable } from '@nestjs/common';
import { createTwoFilesPatch } from 'diff';
import { DomainError, Violations } from '@aether/service-kit';
import { CODE_ANALYSIS, type CodeAnalysis } from '../analysis/analysis.types';
import { detectLanguage } from '../analysis/languages';
import { CodeEvents } from '../events/code-events';
import type { Caller } from '../llm/caller';
import { ModelClient, type ModelMessage } from '../llm/model-client';
import { checkContent, pathProblem } from '../review/review-input';
import { GeneratedCodeInvalidError, modelError } from './assist-errors';
import { codeProblems, isCheckedHere, isParseError, type CodeProblem } from './code-check';
import { defaultFramework, testPathFor } from './test-paths';

/** Most characters of code one assist sends the model. */
export const ASSIST_MAX_CHARS = 200_000;
const FRAMEWORK = /^[A-Za-z0-9._:+-]{1,40}$/;

export interface RefactorInput { path: string; content: string; instruction: string }
export interface TestsInput { path: string; content: string; framework?: string }
export interface ExplainInput { path?: string; content: string; question?: string }

type Kind = 'refactor' | 'tests' | 'explain';

/** The model's JSON answer (a ```json fence or prose around it is tolerated). */
function jsonOf(text: string): Record<string, unknown> | undefined {
  const tries = [text.trim()];
  const fence = /```(?:json)?\s*([\s\S]*?)```/.exec(text);
  if (fence) tries.push(fence[1]);
  const a = text.indexOf('{');
  const b = text.lastIndexOf('}');
  if (a >= 0 && b > a) tries.push(text.slice(a, b + 1));
  for (const t of tries) {
    try {
      const v = JSON.parse(t) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // next
    }
  }
  return undefined;
}

const problemsText = (problems: CodeProblem[]) => problems.map((p) => `- line ${p.line}: ${p.message}`).join('\n');

/**
 * Refactor, tests and explain through ai-gateway. Generated code must parse — and TypeScript
 * type-check as one file — before it is returned; otherwise the model is asked once more with
 * the errors, and then the request fails with GENERATED_CODE_INVALID (422 at the gateway).
 */
@Injectable()
export class AssistService {
  constructor(
    private readonly model: ModelClient,
    private readonly events: CodeEvents,
    @Inject(CODE_ANALYSIS) private readonly analysis: CodeAnalysis,
  ) {}

  /**
   * What keeps generated code from being returned: TypeScript/JavaScript and Python are checked
   * in process; other languages by the analyzers' own parsers (tree-sitter, ShellCheck, Dockerfile).
   */
  private async problems(path: string, content: string, language: string): Promise<CodeProblem[]> {
    if (isCheckedHere(language)) return codeProblems(path, content, language);
    if (!language) return [];
    const { findings } = await this.analysis.analyze([{ path, content }], { language });
    return findings.filter(isParseError).slice(0, 20).map((f) => ({ line: f.line, message: `${f.rule}: ${f.message}`.slice(0, 300) }));
  }

  async refactor(input: RefactorInput, caller: Caller): Promise<{ content: string; diff: string; explanation: string }> {
    const v = new Violations();
    this.checkPath(v, input.path, true);
    this.checkCode(v, input.content);
    v.requiredText('instruction', input.instruction, 4000);
    v.throwIfAny();
    const language = detectLanguage(input.path, input.content) ?? '';
    const system = [
      'You refactor code. Apply the instruction to the whole file and keep its behaviour otherwise.',
      'Answer ONLY a JSON object: {"content": "<the whole new file>", "explanation": "<what changed and why, briefly>"}.',
      `The file is ${language || 'source code'}; the new content must be valid ${language || 'code'} that parses${language === 'typescript' ? ' and type-checks' : ''}.`,
    ].join('\n');
    const user = `File: ${input.path}\nInstruction: ${input.instruction}\n\n${input.content}`;
    return this.run('refactor', language, caller, async () => {
      const { json, model } = await this.generate(caller, system, user, input.path, language, (j) => j.content);
      const content = String(json.content);
      const explanation = typeof json.explanation === 'string' ? json.explanation.trim() : '';
      const diff = createTwoFilesPatch(input.path, input.path, input.content, content, '', '', { context: 3 });
      return { result: { content, diff, explanation }, model };
    });
  }

  async tests(input: TestsInput, caller: Caller): Promise<{ path: string; content: string }> {
    const v = new Violations();
    this.checkPath(v, input.path, true);
    this.checkCode(v, input.content);
    if (input.framework && !FRAMEWORK.test(input.framework)) v.add('framework', 'must be a test framework name such as jest, vitest or pytest');
    v.throwIfAny();
    const language = detectLanguage(input.path, input.content) ?? '';
    const framework = input.framework || defaultFramework(language);
    const testPath = testPathFor(input.path, language, framework);
    const system = [
      `You write unit tests${framework ? ` with ${framework}` : ''} for the given file. They import it from its path relative to the test file (${testPath}).`,
      'Cover the main behaviour and edge cases; no placeholder tests.',
      'Answer ONLY a JSON object: {"content": "<the whole test file>"}.',
      `The test file must be valid ${language || 'code'} that parses.`,
    ].join('\n');
    const user = `File: ${input.path}\nTest file: ${testPath}\n\n${input.content}`;
    return this.run('tests', language, caller, async () => {
      const { json, model } = await this.generate(caller, system, user, testPath, language, (j) => j.content);
      return { result: { path: testPath, content: String(json.content) }, model };
    });
  }

  async explain(input: ExplainInput, caller: Caller): Promise<{ explanation: string }> {
    const v = new Violations();
    if (input.path) this.checkPath(v, input.path, false);
    this.checkCode(v, input.content);
    if (input.question) v.text('question', input.question, 2000);
    v.throwIfAny();
    const language = input.path ? (detectLanguage(input.path, input.content) ?? '') : '';
    const system = 'You explain code to a developer: clearly, concretely, referring to line numbers where it helps. Plain text or Markdown.';
    const user = `${input.path ? `File: ${input.path}\n` : ''}${input.question ? `Question: ${input.question}\n` : 'Explain what this code does.\n'}\n${input.content}`;
    return this.run('explain', language, caller, async () => {
      const answer = await this.model.chat(caller, [{ role: 'system', content: system }, { role: 'user', content: user }]).catch((err) => { throw modelError(err); });
      const explanation = answer.text.trim();
      if (!explanation) throw modelError(new Error('empty answer'));
      return { result: { explanation }, model: answer.model };
    });
  }

  private checkPath(v: Violations, path: string | undefined, required: boolean): void {
    if (!path && !required) return;
    const problem = pathProblem(path ?? '');
    if (problem) v.add('path', problem);
  }

  private checkCode(v: Violations, content: string | undefined): void {
    checkContent(v, 'content', content);
    if (content && content.length > ASSIST_MAX_CHARS) v.add('content', `must be at most ${ASSIST_MAX_CHARS} characters`);
  }

  /**
   * Asks for JSON holding code (`pick` finds it), checks the code, and on errors asks once more
   * with them; a second failure is GENERATED_CODE_INVALID.
   */
  private async generate(caller: Caller, system: string, user: string, path: string, language: string, pick: (j: Record<string, unknown>) => unknown) {
    const messages: ModelMessage[] = [{ role: 'system', content: system }, { role: 'user', content: user }];
    let last = '';
    for (let attempt = 1; attempt <= 2; attempt++) {
      const answer = await this.model.chat(caller, messages, { json: true }).catch((err) => { throw modelError(err); });
      const json = jsonOf(answer.text);
      const code = json ? pick(json) : undefined;
      let complaint: string;
      if (typeof code !== 'string' || !code.trim()) {
        complaint = 'Your answer was not the JSON object asked for (with the code as a string in "content"). Answer again, only that JSON object.';
        last = 'the model did not answer the JSON object asked for';
      } else {
        const problems = await this.problems(path, code, language);
        if (problems.length === 0) return { json: json!, model: answer.model };
        complaint = `The code you returned does not compile:\n${problemsText(problems)}\nFix these errors and answer the whole JSON object again.`;
        last = `the generated ${language} code has errors (${problems.slice(0, 3).map((p) => `line ${p.line}: ${p.message}`).join('; ')})`;
      }
      messages.push({ role: 'assistant', content: answer.text }, { role: 'user', content: complaint });
    }
    throw new GeneratedCodeInvalidError(`The model's code was still invalid after one retry: ${last}`.slice(0, 290));
  }

  /** Runs an assist and publishes its event, ok or failed (input errors publish nothing). */
  private async run<T>(kind: Kind, language: string, caller: Caller, work: () => Promise<{ result: T; model: string }>): Promise<T> {
    const started = Date.now();
    try {
      const { result, model } = await work();
      await this.events.assistCompleted(caller.subject, { kind, language, status: 'ok', errorCode: '', model, durationMs: Date.now() - started });
      return result;
    } catch (err) {
      const code = err instanceof DomainError ? err.code : 'INTERNAL';
      await this.events.assistCompleted(caller.subject, { kind, language, status: 'error', errorCode: code, model: '', durationMs: Date.now() - started }).catch(() => undefined);
      throw err;
    }
  }
}
