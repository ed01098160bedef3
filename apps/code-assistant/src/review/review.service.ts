import { Inject, Injectable, Logger } from '@nestjs/common';
import { MetricsService, Violations } from '@aether/service-kit';
import type { Counter } from 'prom-client';
import { CODE_ANALYSIS, type AnalyzerRun, type CodeAnalysis, type Finding, type SourceFile } from '../analysis/analysis.types';
import { CodeEvents } from '../events/code-events';
import type { Caller } from '../llm/caller';
import { ModelClient, ModelUnavailable } from '../llm/model-client';
import { changedLines, onChangedLine, type ChangedLines } from './diff-scope';
import { mergeFindings } from './merge-findings';
import { checkModelFindings, parseModelReview, PROMPT_CODE_CHARS, reviewPrompt } from './model-findings';
import { checkFiles, checkFocus, checkLanguage, REVIEW_LIMITS } from './review-input';

/** What to review: whole files, or a unified diff with the new contents of the files it changes. */
export interface ReviewInput {
  files: SourceFile[];
  /** Unified diff of `files`; only findings on added/changed lines of the new files are reported. */
  diff?: string;
  language?: string;
  focus?: string;
  /** Ask the model too (default true). */
  llm?: boolean;
}

export interface ReviewOutcome {
  summary: string;
  findings: Finding[];
  analyzers: AnalyzerRun[];
}

interface ModelPart {
  findings: Finding[];
  run: AnalyzerRun;
  dropped: number;
  model: string;
  summary?: string;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * Reviews code: the analyzers first (CODE_ANALYSIS), then — unless `llm: false` — the model
 * through ai-gateway, whose findings are kept only when their path, line and quoted code check
 * out; merged and de-duplicated, and with a diff limited to the added lines. A model that is not
 * configured, not reachable or failing leaves the analyzers' review, and says so.
 */
@Injectable()
export class ReviewService {
  private readonly log = new Logger(ReviewService.name);
  private readonly reviews: Counter<'llm'>;
  private readonly modelFindings: Counter<'outcome'>;

  constructor(
    @Inject(CODE_ANALYSIS) private readonly analysis: CodeAnalysis,
    private readonly model: ModelClient,
    private readonly events: CodeEvents,
    metrics: MetricsService,
  ) {
    this.reviews = metrics.counter('code_assistant_reviews_total', 'Reviews answered, by the part the model took (used, off: llm false, unavailable).', ['llm']);
    this.modelFindings = metrics.counter('code_assistant_model_findings_total', "The model's findings: kept (they checked out; some merge into an analyzer's) or dropped (file, line or quoted code did not).", ['outcome']);
  }

  /** INVALID_ARGUMENT naming each bad field; the diff's agreement with the files is checked too. */
  validate(input: ReviewInput): ChangedLines | undefined {
    const v = new Violations();
    checkFiles(v, input.files);
    checkLanguage(v, input.language);
    checkFocus(v, input.focus);
    if (input.diff !== undefined && input.diff !== '') {
      if (input.diff.includes('\u0000')) v.add('diff', 'must be text (it contains NUL characters)');
      else if (Buffer.byteLength(input.diff) > REVIEW_LIMITS.diffBytes) v.add('diff', `must be at most ${REVIEW_LIMITS.diffBytes} bytes`);
    }
    v.throwIfAny();
    return input.diff ? changedLines(input.diff, input.files) : undefined;
  }

  async review(input: ReviewInput, caller: Caller): Promise<ReviewOutcome> {
    const started = Date.now();
    const changed = this.validate(input);
    const analysis = await this.analysis.analyze(input.files, { language: input.language || undefined });
    const analyzerFindings = changed ? analysis.findings.filter((f) => onChangedLine(changed, f)) : analysis.findings;
    const part = input.llm === false ? undefined : await this.askModel(input, analyzerFindings, changed, caller);
    const modelFindings = part ? (changed ? part.findings.filter((f) => onChangedLine(changed, f)) : part.findings) : [];
    const findings = mergeFindings(analyzerFindings, modelFindings);
    const analyzers = part ? [...analysis.analyzers, part.run] : analysis.analyzers;
    const summary = this.summary(findings, analysis.analyzers, input.llm === false, part);
    this.reviews.inc({ llm: !part ? 'off' : part.run.error ? 'unavailable' : 'used' });
    if (part?.dropped) this.modelFindings.inc({ outcome: 'dropped' }, part.dropped);
    if (part?.findings.length) this.modelFindings.inc({ outcome: 'kept' }, part.findings.length);
    await this.events.reviewCompleted(caller.subject, {
      input: changed ? 'diff' : 'files',
      files: input.files.length,
      errors: findings.filter((f) => f.severity === 'error').length,
      warnings: findings.filter((f) => f.severity === 'warning').length,
      infos: findings.filter((f) => f.severity === 'info').length,
      analyzers: analyzers.map((a) => ({ name: a.name, version: a.version, files: a.files, durationMs: a.durationMs, error: a.error ?? '' })),
      model: part?.run.error ? '' : (part?.model ?? ''),
      durationMs: Date.now() - started,
      droppedFindings: part?.dropped ?? 0,
    });
    return { summary, findings, analyzers };
  }

  private async askModel(input: ReviewInput, analyzerFindings: Finding[], changed: ChangedLines | undefined, caller: Caller): Promise<ModelPart> {
    const started = Date.now();
    const run = (error?: string, model = ''): AnalyzerRun => ({ name: 'llm', version: model || this.model.model, files: input.files.length, durationMs: Date.now() - started, ...(error ? { error } : {}) });
    const failed = (error: string): ModelPart => ({ findings: [], run: run(error), dropped: 0, model: '' });
    const size = input.files.reduce((n, f) => n + f.content.length, 0);
    if (size > PROMPT_CODE_CHARS) return failed(`the code is too large for one model prompt (over ${PROMPT_CODE_CHARS} characters)`);
    const prompt = reviewPrompt(input.files, analyzerFindings, { focus: input.focus, changed });
    let answer;
    try {
      answer = await this.model.chat(caller, [{ role: 'system', content: prompt.system }, { role: 'user', content: prompt.user }], { json: true });
    } catch (err) {
      const reason = err instanceof ModelUnavailable ? err.message : 'the model call failed';
      this.log.warn(`review without the model: ${reason}`);
      return failed(reason);
    }
    const parsed = parseModelReview(answer.text);
    if (!parsed) return { findings: [], run: run('the model did not answer the JSON review asked for', answer.model), dropped: 0, model: answer.model };
    const { findings, dropped } = checkModelFindings(parsed, input.files);
    const summary = typeof parsed.summary === 'string' ? parsed.summary.trim().slice(0, 1000) : undefined;
    return { findings, run: run(undefined, answer.model), dropped, model: answer.model, summary };
  }

  private summary(findings: Finding[], runs: AnalyzerRun[], llmOff: boolean, part: ModelPart | undefined): string {
    const count = (s: string) => findings.filter((f) => f.severity === s).length;
    const ran = runs.filter((r) => !r.error).map((r) => r.name);
    const failed = runs.filter((r) => r.error).map((r) => r.name);
    const head = findings.length
      ? `${plural(findings.length, 'finding')} (${plural(count('error'), 'error')}, ${plural(count('warning'), 'warning')}, ${count('info')} info)`
      : 'No findings';
    const by = ran.length ? ` from ${ran.join(', ')}` : '';
    const parts = [`${head}${by}${part && !part.run.error ? ` and the model (${part.model})` : ''}.`];
    if (failed.length) parts.push(`Not run or incomplete: ${failed.join(', ')} (see analyzers).`);
    if (llmOff) parts.push('The model was not asked (llm: false): analyzer findings only.');
    else if (part?.run.error) parts.push(`No model answered (${part.run.error}): analyzer findings only.`);
    if (part?.dropped) parts.push(`${plural(part.dropped, 'model finding')} dropped: ${part.dropped === 1 ? 'its' : 'their'} line or quoted code did not match the files.`);
    if (part?.summary && !part.run.error) parts.push(part.summary);
    return parts.join(' ');
  }
}
