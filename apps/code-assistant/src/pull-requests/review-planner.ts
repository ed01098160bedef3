// Pure planning of one GitHub pull-request review: which findings become inline comments (only on
// RIGHT-side lines GitHub shows in the diff), which go into the body, what is already said
// (fingerprints), the per-review cap, and the markdown GitHub receives. No I/O here.
import { createHash } from 'node:crypto';
import { parsePatch } from 'diff';
import type { AnalyzerRun, Finding, Severity } from '../analysis/analysis.types';

/** A file of the pull request as the planner needs it. */
export interface PlannedFile {
  path: string;
  /** GitHub's `patch` (hunks only); absent when GitHub sent none (large or binary). */
  patch?: string;
  /** The file's lines at the head, when fetched (line n is lines[n - 1]). */
  lines?: string[];
}

/** A file the review did not look at, and why (listed in the body). */
export interface SkippedFile {
  path: string;
  reason: string;
}

export interface PlanInput {
  files: PlannedFile[];
  findings: Finding[];
  /** Fingerprints of comments already made on this pull request (GitHub's review comments and our store). */
  known: ReadonlySet<string>;
  /** At most this many inline comments; the rest is listed in the body. */
  maxComments: number;
  summary: string;
  analyzers: AnalyzerRun[];
  skipped: SkippedFile[];
  headSha: string;
}

export interface PlannedComment {
  path: string;
  /** The (last) line, new file, side RIGHT. */
  line: number;
  /** First line of a multi-line comment (same hunk); undefined for one line. */
  startLine?: number;
  side: 'RIGHT';
  body: string;
  fingerprint: string;
  finding: Finding;
}

export type BodyReason = 'outside-diff' | 'over-cap' | 'rejected';

export interface BodyFinding {
  finding: Finding;
  fingerprint: string;
  reason: BodyReason;
}

export interface ReviewPlan {
  comments: PlannedComment[];
  inBody: BodyFinding[];
  /** Findings left out because a comment with their fingerprint was already made. */
  repeated: number;
  /** The review's markdown body. */
  body: string;
  /** Every fingerprint this review states (inline and body): recorded once it is posted. */
  fingerprints: string[];
  /** False when there is nothing new to say (no review should be posted). */
  worthPosting: boolean;
}

const FP_MARK = /<!-- aether-fp:([0-9a-f]{16}) -->/g;
/** GitHub refuses bodies over 65536 characters; stay well under. */
const MAX_BODY_CHARS = 60_000;
const MAX_BODY_ITEMS = 100;
const SEVERITY_RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** RIGHT-side lines of each hunk of a GitHub patch (added and context lines), hunk by hunk. */
export function rightSideHunks(patch: string | undefined): Set<number>[] {
  if (!patch) return [];
  let parsed;
  try {
    parsed = parsePatch(patch);
  } catch {
    return [];
  }
  return (parsed[0]?.hunks ?? []).map((hunk) => {
    const lines = new Set<number>();
    let n = hunk.newStart;
    for (const l of hunk.lines) {
      if (l.startsWith('+') || l.startsWith(' ')) lines.add(n++);
    }
    return lines;
  });
}

/** Lines a patch adds (new-file numbers): the lines a diff-mode review reports on. */
export function addedLines(patch: string | undefined): Set<number> {
  const added = new Set<number>();
  if (!patch) return added;
  for (const hunk of parsePatch(patch)[0]?.hunks ?? []) {
    let n = hunk.newStart;
    for (const l of hunk.lines) {
      if (l.startsWith('+')) added.add(n++);
      else if (l.startsWith(' ')) n++;
    }
  }
  return added;
}

/** The new file's text of the lines a patch shows (context and added), by line number. */
export function rightSideText(patch: string | undefined): Map<number, string> {
  const out = new Map<number, string>();
  if (!patch) return out;
  for (const hunk of parsePatch(patch)[0]?.hunks ?? []) {
    let n = hunk.newStart;
    for (const l of hunk.lines) if (l.startsWith('+') || l.startsWith(' ')) out.set(n++, l.slice(1));
  }
  return out;
}

/** Whitespace-insensitive form of a line: edits that only re-indent keep their fingerprint. */
export function normaliseLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Stable identity of a finding across pushes: path, rule, the normalised text of its line and
 * which occurrence of that text (for that rule) it is in the file — not the line number, so code
 * moving up or down keeps the fingerprint, and a fixed line loses it.
 */
export function fingerprint(path: string, rule: string, lineText: string, occurrence = 0): string {
  return createHash('sha256').update(`${path}\u0000${rule}\u0000${normaliseLine(lineText)}\u0000${occurrence}`).digest('hex').slice(0, 16);
}

/** The hidden marker each comment (and body item) carries. */
export function fingerprintMark(fp: string): string {
  return `<!-- aether-fp:${fp} -->`;
}

/** Fingerprints hidden in comment or review bodies. */
export function readFingerprints(text: string): string[] {
  return [...text.matchAll(FP_MARK)].map((m) => m[1]);
}

/**
 * Whether a model's `suggestion` is replacement code for the lines it would replace rather than
 * advice: not many more lines, and at least half of the original's identifiers kept. Only then a
 * ```suggestion block (which GitHub applies verbatim) is offered.
 */
export function isReplacement(original: string[], suggestion: string): boolean {
  const words = (s: string) => new Set(s.match(/[A-Za-z_$][\w$]*/g) ?? []);
  const before = words(original.join('\n'));
  if (before.size === 0 || suggestion.trim() === original.join('\n').trim()) return false;
  if (suggestion.split('\n').length > original.length + 10) return false;
  const after = words(suggestion);
  let shared = 0;
  for (const w of before) if (after.has(w)) shared++;
  return shared / before.size >= 0.5;
}

function lineTextOf(file: PlannedFile | undefined, shown: Map<number, string> | undefined, line: number): string {
  return file?.lines?.[line - 1] ?? shown?.get(line) ?? '';
}

function escapeInline(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/<!--/g, '&lt;!--').slice(0, 1000);
}

function heading(f: Finding): string {
  return `**${f.severity}** \`${f.rule}\` (${f.source}): ${escapeInline(f.message)}`;
}

/** A ``` fence longer than any backtick run inside the code, so the block cannot be closed early. */
function fence(code: string, info: string): string {
  const longest = Math.max(2, ...(code.match(/`+/g) ?? []).map((m) => m.length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}${info}\n${code.replace(/\n$/, '')}\n${ticks}`;
}

function commentBody(f: Finding, fp: string, replacement: boolean): string {
  const parts = [heading(f)];
  if (f.suggestion && replacement) parts.push(fence(f.suggestion, 'suggestion'));
  else if (f.suggestion) parts.push(`Suggestion: ${escapeInline(f.suggestion)}`);
  parts.push(fingerprintMark(fp));
  return parts.join('\n\n');
}

function byImportance(a: { finding: Finding }, b: { finding: Finding }): number {
  return (
    SEVERITY_RANK[a.finding.severity] - SEVERITY_RANK[b.finding.severity] ||
    a.finding.path.localeCompare(b.finding.path) ||
    a.finding.line - b.finding.line ||
    a.finding.rule.localeCompare(b.finding.rule)
  );
}

/** Where a finding can sit in the diff: its line (range) when GitHub shows it, else the first shown line of its range. */
function anchor(f: Finding, hunks: Set<number>[]): { line: number; startLine?: number; exact: boolean } | undefined {
  const end = f.endLine && f.endLine > f.line ? Math.min(f.endLine, f.line + 200) : f.line;
  const hunk = hunks.find((h) => h.has(f.line));
  if (hunk) {
    if (end > f.line && hunk.has(end)) return { line: end, startLine: f.line, exact: true };
    return { line: f.line, exact: end === f.line };
  }
  for (let n = f.line + 1; n <= end; n++) if (hunks.some((h) => h.has(n))) return { line: n, exact: false };
  return undefined;
}

/** Plans one review (event COMMENT) from the findings of a push. */
export function planReview(input: PlanInput): ReviewPlan {
  const files = new Map(input.files.map((f) => [f.path, f]));
  const hunksOf = new Map(input.files.map((f) => [f.path, rightSideHunks(f.patch)]));
  const shownOf = new Map(input.files.map((f) => [f.path, rightSideText(f.patch)]));
  // Per (path, rule, text): the lines holding it, in order (the occurrence index of a line).
  const occurrences = new Map<string, number[]>();
  const seen = new Set<string>();
  const candidates: PlannedComment[] = [];
  const inBody: BodyFinding[] = [];
  let repeated = 0;

  const ordered = [...input.findings].sort((a, b) => a.path.localeCompare(b.path) || a.line - b.line || a.rule.localeCompare(b.rule));
  for (const f of ordered) {
    const file = files.get(f.path);
    const text = lineTextOf(file, shownOf.get(f.path), f.line);
    const key = `${f.path}\u0000${f.rule}\u0000${normaliseLine(text)}`;
    const linesWithText = occurrences.get(key) ?? [];
    if (!linesWithText.includes(f.line)) linesWithText.push(f.line);
    occurrences.set(key, linesWithText);
    const occurrence = linesWithText.indexOf(f.line);
    const fp = fingerprint(f.path, f.rule, text, occurrence);
    if (seen.has(fp)) continue; // the same finding twice in one review (two tools agreeing)
    seen.add(fp);
    if (input.known.has(fp)) {
      repeated++;
      continue;
    }
    const at = anchor(f, hunksOf.get(f.path) ?? []);
    if (!at) {
      inBody.push({ finding: f, fingerprint: fp, reason: 'outside-diff' });
      continue;
    }
    const first = at.startLine ?? at.line;
    const original = Array.from({ length: at.line - first + 1 }, (_, i) => lineTextOf(file, shownOf.get(f.path), first + i));
    // The analyzers' suggestions are their fixes (the whole lines' replacement); the model's may be advice.
    const replacement = at.exact && !!f.suggestion && (f.source !== 'llm' || isReplacement(original, f.suggestion));
    candidates.push({ path: f.path, line: at.line, ...(at.startLine ? { startLine: at.startLine } : {}), side: 'RIGHT', body: commentBody(f, fp, replacement), fingerprint: fp, finding: f });
  }

  candidates.sort(byImportance);
  const cap = Math.max(0, input.maxComments);
  const comments = candidates.slice(0, cap);
  for (const c of candidates.slice(cap)) inBody.push({ finding: c.finding, fingerprint: c.fingerprint, reason: 'over-cap' });
  return assemble(input, comments, inBody, repeated);
}

/** The plan with these comments moved into the body (GitHub refused them). */
export function moveToBody(plan: ReviewPlan, input: PlanInput, rejected: ReadonlySet<PlannedComment>): ReviewPlan {
  const kept = plan.comments.filter((c) => !rejected.has(c));
  const moved = plan.comments.filter((c) => rejected.has(c)).map((c) => ({ finding: c.finding, fingerprint: c.fingerprint, reason: 'rejected' as const }));
  return assemble(input, kept, [...plan.inBody, ...moved], plan.repeated);
}

/** Comments whose lines the (fresh) patches do not show on the RIGHT side. */
export function outsideDiff(comments: PlannedComment[], files: PlannedFile[]): Set<PlannedComment> {
  const hunks = new Map(files.map((f) => [f.path, rightSideHunks(f.patch)]));
  return new Set(
    comments.filter((c) => {
      const h = (hunks.get(c.path) ?? []).find((lines) => lines.has(c.line));
      return !h || (c.startLine !== undefined && !h.has(c.startLine));
    }),
  );
}

const SECTION: Record<BodyReason, string> = {
  'outside-diff': 'Findings outside the diff (GitHub shows no diff for these lines)',
  'over-cap': 'More findings (over the cap of inline comments per review)',
  rejected: 'Findings GitHub did not accept as inline comments',
};

function assemble(input: PlanInput, comments: PlannedComment[], inBody: BodyFinding[], repeated: number): ReviewPlan {
  const lines: string[] = ['### Aether code review', '', escapeInline(input.summary) || 'Review of this push.', ''];
  const total = comments.length + inBody.length;
  lines.push(
    total === 0
      ? 'No new findings.'
      : `${total} new finding${total === 1 ? '' : 's'}: ${comments.length} inline, ${inBody.length} listed below.` +
          (repeated ? ` ${repeated} already reported earlier ${repeated === 1 ? 'is' : 'are'} not repeated.` : ''),
  );
  const bodyFingerprints: string[] = [];
  let listed = 0;
  for (const reason of ['outside-diff', 'rejected', 'over-cap'] as BodyReason[]) {
    const items = inBody.filter((b) => b.reason === reason).sort(byImportance);
    if (!items.length) continue;
    lines.push('', `#### ${SECTION[reason]}`, '');
    for (const b of items) {
      if (listed >= MAX_BODY_ITEMS) break;
      lines.push(`- \`${b.finding.path}:${b.finding.line}\` ${heading(b.finding)} ${fingerprintMark(b.fingerprint)}`);
      bodyFingerprints.push(b.fingerprint);
      listed++;
    }
  }
  if (listed < inBody.length) lines.push('', `…and ${inBody.length - listed} more, not listed.`);
  if (input.skipped.length) {
    lines.push('', '#### Not reviewed', '');
    for (const s of input.skipped.slice(0, 50)) lines.push(`- \`${escapeInline(s.path)}\`: ${escapeInline(s.reason)}`);
    if (input.skipped.length > 50) lines.push(`- …and ${input.skipped.length - 50} more files`);
  }
  if (input.analyzers.length) {
    const runs = input.analyzers.map((a) => `${a.name}${a.version ? ` ${a.version}` : ''}${a.error ? ` (${escapeInline(a.error).slice(0, 120)})` : ''}`);
    lines.push('', `<sub>Analyzers: ${runs.join(', ')}. Commit ${input.headSha.slice(0, 12)}.</sub>`);
  }
  let body = lines.join('\n');
  if (body.length > MAX_BODY_CHARS) body = `${body.slice(0, MAX_BODY_CHARS)}\n\n…(truncated)`;
  // Only what the body really holds counts as said.
  const stated = [...comments.map((c) => c.fingerprint), ...bodyFingerprints.filter((fp) => body.includes(fingerprintMark(fp)))];
  return { comments, inBody, repeated, body, fingerprints: stated, worthPosting: total > 0 };
}
