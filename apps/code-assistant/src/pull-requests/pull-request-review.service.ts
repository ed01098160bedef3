import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { PullRequestReviewedEvent, type integrationHubV1, type integrationHubV1Events } from '@aether/contracts';
import { ServiceTokenProvider } from '@aether/auth';
import { OutboxService } from '@aether/messaging';
import { ENV_TOKEN, ValidationError } from '@aether/service-kit';
import type { AnalyzerRun, Finding, SourceFile } from '../analysis/analysis.types';
import { detectLanguage } from '../analysis/languages';
import { callerWithToken } from '../llm/caller';
import { REVIEW_LIMITS } from '../review/review-input';
import { ReviewService, type ReviewOutcome } from '../review/review.service';
import { GithubAccess, GithubAccessError } from './github-access';
import type { PullRequestReviewEnv } from './pull-request-review.env';
import { PullRequestReviewStore, type DeliveryKey, type SaidFinding } from './pull-request-review.store';
import { addedLines, moveToBody, outsideDiff, planReview, readFingerprints, type PlanInput, type PlannedFile, type ReviewPlan, type SkippedFile } from './review-planner';

/** The `pull_request` actions that ask for a review (others — closed, labeled, edited... — are ignored). */
export const REVIEWED_ACTIONS = new Set(['opened', 'synchronize', 'reopened', 'ready_for_review']);
/** Who the reviews run as (the events' and ai-gateway's view of the caller). */
export const SERVICE_SUBJECT = 'service:code-assistant';
const FETCH_CONCURRENCY = 4;

type Config = InstanceType<ReturnType<typeof PullRequestReviewEnv>>;

export type HandleOutcome =
  | { outcome: 'ignored'; reason: string }
  | { outcome: 'duplicate' }
  | { outcome: 'skipped'; reason: string }
  | { outcome: 'posted'; reviewId: string; inlineComments: number; bodyFindings: number; movedAfterRejection: number }
  | { outcome: 'failed'; reason: string };

interface PullRequestRef {
  connectionId: string;
  deliveryId: string;
  repository: string;
  number: number;
  action: string;
  draft: boolean;
}

/** Transient trouble (GitHub or a peer down, rate limited): the delivery is retried later. */
export class RetryLaterError extends Error {}

/** What the webhook payload must hold (the rest of GitHub's payload is not read). */
function pullRequestRef(hook: integrationHubV1Events.GithubWebhookReceived): PullRequestRef | string {
  let payload: { number?: unknown; pull_request?: { number?: unknown; draft?: unknown }; repository?: { full_name?: unknown } };
  try {
    payload = JSON.parse(hook.payloadJson);
  } catch {
    return 'payload is not JSON';
  }
  const number = Number(payload?.number ?? payload?.pull_request?.number);
  const repository = hook.repository || String(payload?.repository?.full_name ?? '');
  if (!Number.isInteger(number) || number < 1 || number > 2 ** 31 - 1) return 'payload has no pull request number';
  if (!/^[\w.-]+\/[\w.-]+$/.test(repository)) return 'payload has no repository';
  if (!hook.connectionId || !hook.deliveryId) return 'event has no connection or delivery id';
  return { connectionId: hook.connectionId, deliveryId: hook.deliveryId, repository, number, action: hook.action, draft: payload.pull_request?.draft === true };
}

/** `diff --git` text of the files GitHub gave patches for, as ReviewService's diff mode takes it. */
function unifiedDiff(files: { path: string; previousPath: string; status: string; patch: string }[]): string {
  return files
    .map((f) => {
      const from = f.status === 'added' ? '/dev/null' : `a/${f.previousPath || f.path}`;
      return `diff --git a/${f.previousPath || f.path} b/${f.path}\n--- ${from}\n+++ b/${f.path}\n${f.patch.replace(/\n?$/, '\n')}`;
    })
    .join('');
}

/** Whether an analyzer may read the file, from its name alone (extensionless names: maybe, by shebang). */
function mayBeCode(path: string): boolean {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return !name.includes('.') || detectLanguage(path, '') !== undefined;
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

/**
 * Reviews a GitHub pull request for a `pull_request` webhook: reads the head's changed files
 * through integration-hub, reviews them (ReviewService, diff mode: findings on changed lines),
 * plans ONE review (review-planner) that repeats nothing said before and posts it; a 422 from
 * GitHub is retried once with the comments it refused moved into the body. Idempotent per
 * delivery (PostgreSQL), serialised per pull request.
 */
@Injectable()
export class PullRequestReviewService {
  private readonly logger = new Logger(PullRequestReviewService.name);

  constructor(
    private readonly github: GithubAccess,
    private readonly reviews: ReviewService,
    private readonly store: PullRequestReviewStore,
    private readonly outbox: OutboxService,
    private readonly serviceToken: ServiceTokenProvider,
    @Inject(ENV_TOKEN) private readonly env: Config,
  ) {}

  async handle(hook: integrationHubV1Events.GithubWebhookReceived): Promise<HandleOutcome> {
    if (hook.event !== 'pull_request') return { outcome: 'ignored', reason: `event ${hook.event}` };
    if (!REVIEWED_ACTIONS.has(hook.action)) return { outcome: 'ignored', reason: `action ${hook.action || '(none)'}` };
    const ref = pullRequestRef(hook);
    if (typeof ref === 'string') return { outcome: 'ignored', reason: ref };
    const key: DeliveryKey = { connectionId: ref.connectionId, deliveryId: ref.deliveryId };
    if (!(await this.store.claim(ref))) return { outcome: 'duplicate' };
    try {
      return await this.review(ref, key);
    } catch (err) {
      const transient = err instanceof RetryLaterError || (err instanceof GithubAccessError && err.transient) || !(err instanceof GithubAccessError || err instanceof ValidationError);
      const reason = (err as Error).message.slice(0, 500);
      if (transient) {
        await this.store.release(key, reason);
        throw err;
      }
      this.logger.warn(`Review of ${ref.repository}#${ref.number} (delivery ${ref.deliveryId}) failed: ${reason}`);
      await this.store.finish(key, { status: 'failed', detail: reason });
      return { outcome: 'failed', reason };
    }
  }

  private async review(ref: PullRequestRef, key: DeliveryKey): Promise<HandleOutcome> {
    const started = Date.now();
    const target = { connectionId: ref.connectionId, repository: ref.repository, number: ref.number };
    const pr = await this.github.getPullRequest(target);
    const skip = async (reason: string): Promise<HandleOutcome> => {
      await this.store.finish(key, { status: 'skipped', headSha: pr.headSha, detail: reason });
      return { outcome: 'skipped', reason };
    };
    if (pr.state !== 'open') return skip(`pull request is ${pr.state}`);
    // A draft waits for ready_for_review (GetPullRequest is fresher than the payload).
    if (pr.draft && ref.action !== 'ready_for_review') return skip('draft pull request');

    const { files, skipped } = await this.readFiles(target, pr.headSha);
    const { findings, analyzers, summary } = await this.analyse(files);
    const planFiles: PlannedFile[] = files.map((f) => ({ path: f.path, patch: f.patch, lines: f.content.split(/\r?\n/) }));
    const onGithub = new Set((await this.github.listReviewComments(ref.connectionId, ref.repository, ref.number)).flatMap((c) => readFingerprints(c.body)));

    return this.store.withPullRequestLock(ref.repository, ref.number, async (m) => {
      const known = new Set([...onGithub, ...(await this.store.fingerprints(ref.repository, ref.number, m))]);
      const input: PlanInput = { files: planFiles, findings, known, maxComments: this.env.PR_REVIEW_MAX_COMMENTS, summary, analyzers, skipped, headSha: pr.headSha };
      let plan = planReview(input);
      if (!plan.worthPosting) {
        await this.store.finish(key, { status: 'skipped', headSha: pr.headSha, detail: `nothing new (${plan.repeated} findings already reported)` }, m);
        return { outcome: 'skipped', reason: 'nothing new' };
      }
      let moved = 0;
      let posted: integrationHubV1.PullRequestReview;
      try {
        posted = await this.post(target, pr.headSha, plan);
      } catch (err) {
        if (!(err instanceof GithubAccessError && err.unprocessable)) throw err;
        // GitHub's 422 does not say which comment it refused: the fresh diff does; when it shows
        // them all, every inline comment goes into the body (never a second 422 for the same reason).
        this.logger.warn(`GitHub refused the review of ${ref.repository}#${ref.number} (${err.violations.join('; ').slice(0, 300)}); retrying once`);
        const fresh = (await this.github.listFiles(ref.connectionId, ref.repository, ref.number)).map((f) => ({ path: f.path, patch: f.patch }));
        const offending = outsideDiff(plan.comments, fresh);
        const rejected = offending.size ? offending : new Set(plan.comments);
        plan = moveToBody(plan, input, rejected);
        moved = rejected.size;
        posted = await this.post(target, pr.headSha, plan);
      }
      await this.store.recordFingerprints(m, ref.repository, ref.number, pr.headSha, posted.id, this.said(plan));
      await this.store.finish(key, { status: 'posted', headSha: pr.headSha, reviewId: posted.id, inlineComments: plan.comments.length, bodyFindings: plan.inBody.length, detail: moved ? `${moved} inline comments moved into the body after a 422` : '' }, m);
      await this.published(m, ref, pr.headSha, posted, plan, moved, files.length, skipped.length, analyzers, started);
      return { outcome: 'posted', reviewId: posted.id, inlineComments: plan.comments.length, bodyFindings: plan.inBody.length, movedAfterRejection: moved };
    });
  }

  private post(target: { connectionId: string; repository: string; number: number }, headSha: string, plan: ReviewPlan): Promise<integrationHubV1.PullRequestReview> {
    return this.github.createReview({
      ...target,
      commitId: headSha,
      event: 'COMMENT',
      body: plan.body,
      comments: plan.comments.map((c) => ({ path: c.path, line: c.line, side: c.side, startLine: c.startLine ?? 0, body: c.body })),
    });
  }

  /** The changed files worth reading at the head, with their new content; the others and why. */
  private async readFiles(target: { connectionId: string; repository: string; number: number }, headSha: string) {
    const listed = await this.github.listFiles(target.connectionId, target.repository, target.number);
    const skipped: SkippedFile[] = [];
    const wanted: integrationHubV1.PullRequestFile[] = [];
    for (const f of listed) {
      if (f.status === 'removed' || f.status === 'unchanged') continue; // nothing left to review
      // A pure rename or copy changes no line: nothing of it is the PR's doing.
      if ((f.status === 'renamed' || f.status === 'copied') && f.changes === 0) continue;
      // No analyzer reads it (docs, data, images): not fetched, not listed. A name without an
      // extension may still be a script (shebang): fetched and decided on its content.
      if (!mayBeCode(f.path)) continue;
      if (wanted.length >= this.env.PR_REVIEW_MAX_FILES) skipped.push({ path: f.path, reason: `over the cap of ${this.env.PR_REVIEW_MAX_FILES} files per review` });
      else wanted.push(f);
    }
    const read = await mapLimit(wanted, FETCH_CONCURRENCY, async (f) => {
      try {
        const file = await this.github.getFile({ ...target, path: f.path, ref: headSha, maxBytes: this.env.PR_REVIEW_MAX_FILE_BYTES });
        const bytes = Buffer.from(file.content);
        if (bytes.includes(0)) return { skip: 'binary file' };
        const content = bytes.toString('utf8');
        if (!content.trim()) return { skip: 'empty file' };
        if (!detectLanguage(f.path, content)) return { ignore: true };
        return { path: f.path, previousPath: f.previousPath, status: f.status, patch: f.patch, content };
      } catch (err) {
        if (err instanceof GithubAccessError && !err.transient && (err.code === 'FILE_TOO_LARGE' || err.code === 'GITHUB_NOT_FOUND' || err.code === 'INVALID_ARGUMENT')) {
          return { skip: err.code === 'FILE_TOO_LARGE' ? `larger than ${this.env.PR_REVIEW_MAX_FILE_BYTES} bytes` : 'not readable at the head commit' };
        }
        throw err;
      }
    });
    const files: { path: string; previousPath: string; status: string; patch?: string; content: string }[] = [];
    let total = 0;
    read.forEach((r, i) => {
      if ('ignore' in r) return;
      if ('skip' in r) return skipped.push({ path: wanted[i].path, reason: r.skip as string });
      // ReviewService takes at most REVIEW_LIMITS.totalBytes in one review.
      total += Buffer.byteLength(r.content);
      if (total > REVIEW_LIMITS.totalBytes) return skipped.push({ path: r.path, reason: 'over the size budget of one review' });
      files.push(r);
    });
    return { files, skipped };
  }

  /**
   * Files GitHub gave a patch for: diff mode (findings on the changed lines only). Files without
   * one (too large a diff): whole-file review, reported in the body only.
   */
  private async analyse(files: { path: string; previousPath: string; status: string; patch?: string; content: string }[]): Promise<{ findings: Finding[]; analyzers: AnalyzerRun[]; summary: string }> {
    const caller = callerWithToken(SERVICE_SUBJECT, await this.serviceToken.token());
    const llm = this.env.PR_REVIEW_LLM;
    const patched = files.filter((f): f is typeof f & { patch: string } => !!f.patch);
    const whole = files.filter((f) => !f.patch);
    const source = (f: { path: string; content: string }): SourceFile => ({ path: f.path, content: f.content });
    const outcomes: ReviewOutcome[] = [];
    if (patched.length) {
      try {
        outcomes.push(await this.reviews.review({ files: patched.map(source), diff: unifiedDiff(patched), llm }, caller));
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        // The patch and the file disagree (GitHub's diff of a line-ending change, say): review the
        // files whole and keep the findings on added lines, as diff mode would.
        this.logger.warn(`Diff review refused (${err.message}); reviewing the files whole`);
        const whole = await this.reviews.review({ files: patched.map(source), llm }, caller);
        const added = new Map(patched.map((f) => [f.path, addedLines(f.patch)]));
        outcomes.push({ ...whole, findings: whole.findings.filter((x) => added.get(x.path)?.has(x.line)) });
      }
    }
    const summaries = outcomes.map((o) => o.summary).filter(Boolean);
    if (whole.length) {
      const out = await this.reviews.review({ files: whole.map(source), llm }, caller);
      outcomes.push(out);
      if (out.summary) summaries.push(`Files GitHub shows no diff for (reviewed whole): ${out.summary}`);
    }
    const analyzers = new Map<string, AnalyzerRun>();
    for (const o of outcomes) for (const a of o.analyzers) analyzers.set(a.name, { ...a, files: (analyzers.get(a.name)?.files ?? 0) + a.files });
    return {
      findings: outcomes.flatMap((o) => o.findings),
      analyzers: [...analyzers.values()],
      summary: summaries.join(' ') || (files.length ? '' : 'No reviewable file in this push.'),
    };
  }

  private said(plan: ReviewPlan): SaidFinding[] {
    const stated = new Set(plan.fingerprints);
    return [
      ...plan.comments.map((c) => ({ fingerprint: c.fingerprint, path: c.path, rule: c.finding.rule, line: c.line, placement: 'inline' as const })),
      ...plan.inBody.filter((b) => stated.has(b.fingerprint)).map((b) => ({ fingerprint: b.fingerprint, path: b.finding.path, rule: b.finding.rule, line: b.finding.line, placement: 'body' as const })),
    ];
  }

  private async published(
    m: EntityManager,
    ref: PullRequestRef,
    headSha: string,
    posted: integrationHubV1.PullRequestReview,
    plan: ReviewPlan,
    moved: number,
    files: number,
    skippedFiles: number,
    analyzers: AnalyzerRun[],
    started: number,
  ): Promise<void> {
    const all = [...plan.comments.map((c) => c.finding), ...plan.inBody.map((b) => b.finding)];
    const count = (s: string) => all.filter((f) => f.severity === s).length;
    await this.outbox.publish(m, PullRequestReviewedEvent, {
      connectionId: ref.connectionId,
      repository: ref.repository,
      number: ref.number,
      headSha,
      deliveryId: ref.deliveryId,
      reviewId: posted.id,
      htmlUrl: posted.htmlUrl,
      inlineComments: plan.comments.length,
      bodyFindings: plan.inBody.length,
      repeated: plan.repeated,
      movedAfterRejection: moved,
      files,
      skippedFiles,
      errors: count('error'),
      warnings: count('warning'),
      infos: count('info'),
      analyzers: analyzers.map((a) => ({ name: a.name, version: a.version, files: a.files, durationMs: Math.round(a.durationMs), error: a.error ?? '' })),
      durationMs: Date.now() - started,
    });
  }
}
