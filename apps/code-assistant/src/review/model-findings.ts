import type { Finding, Severity, SourceFile } from '../analysis/analysis.types';
import type { ChangedLines } from './diff-scope';

/** Most characters of code put in one review prompt (beyond: the model is not asked). */
export const PROMPT_CODE_CHARS = 200_000;

/** What the model is asked to answer (json_object); anything else in its answer is ignored. */
export interface ModelReview {
  summary?: string;
  findings: ModelFinding[];
}

interface ModelFinding {
  path?: unknown;
  line?: unknown;
  endLine?: unknown;
  severity?: unknown;
  id?: unknown;
  message?: unknown;
  suggestion?: unknown;
  quote?: unknown;
}

export function reviewPrompt(files: SourceFile[], analyzerFindings: Finding[], opts: { focus?: string; changed?: ChangedLines }): { system: string; user: string } {
  const system = [
    'You are a careful code reviewer. Static analyzers already ran; their findings are listed.',
    'Explain, rank and add only real problems (bugs, security, correctness, then maintainability); never repeat an analyzer finding and never invent code.',
    'Answer ONLY a JSON object: {"summary": "<one or two sentences>", "findings": [{"path": "<file path as given>", "line": <1-based line number>,',
    ' "endLine": <optional last line>, "severity": "info" | "warning" | "error", "id": "<short-kebab-case-rule-id>", "message": "<what is wrong and why>",',
    ' "suggestion": "<optional replacement code or advice>", "quote": "<the exact code of that line, copied verbatim>"}]}.',
    'Line numbers are the numbers shown before each line; "quote" must be text of that very line. No findings: "findings": [].',
    opts.changed ? 'Only report problems on the lines marked "+" (the lines the change added); the other lines are context.' : '',
    opts.focus ? `Focus on: ${opts.focus}` : '',
  ].filter(Boolean).join('\n');
  const blocks = files.map((f) => {
    const changed = opts.changed?.get(f.path);
    const numbered = f.content.split(/\r?\n/).map((l, i) => `${changed ? (changed.has(i + 1) ? '+' : ' ') : ''}${i + 1}: ${l}`).join('\n');
    return `File: ${f.path}\n${numbered}`;
  });
  const known = analyzerFindings.slice(0, 200).map((f) => `- ${f.path}:${f.line} ${f.rule} (${f.severity}): ${f.message}`);
  const user = [...blocks, '', 'Analyzer findings:', known.length ? known.join('\n') : '(none)'].join('\n\n');
  return { system, user };
}

/** The JSON object of a model answer (also when wrapped in a ```json fence or surrounded by prose). */
export function parseModelReview(text: string): ModelReview | undefined {
  const candidates = [text.trim()];
  const fence = /```(?:json)?\s*([\s\S]*?)```/.exec(text);
  if (fence) candidates.push(fence[1].trim());
  const first = text.indexOf('{');
  const last = text.lastIndexOf('}');
  if (first >= 0 && last > first) candidates.push(text.slice(first, last + 1));
  for (const c of candidates) {
    try {
      const v = JSON.parse(c) as unknown;
      if (v && typeof v === 'object' && Array.isArray((v as ModelReview).findings)) return v as ModelReview;
    } catch {
      // the next candidate
    }
  }
  return undefined;
}

const normalise = (s: string) => s.replace(/\s+/g, ' ').trim();

const SEVERITY: Record<string, Severity> = {
  error: 'error', critical: 'error', blocker: 'error', high: 'error', major: 'error', fatal: 'error',
  warning: 'warning', warn: 'warning', medium: 'warning', moderate: 'warning',
  info: 'info', low: 'info', minor: 'info', note: 'info', hint: 'info', suggestion: 'info', style: 'info', nit: 'info',
};

export function normaliseSeverity(s: unknown): Severity {
  return SEVERITY[String(s ?? '').toLowerCase().trim()] ?? 'warning';
}

function ruleId(id: unknown, message: string): string {
  const base = String(typeof id === 'string' && id.trim() ? id : message).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60).replace(/-+$/, '');
  return base || 'finding';
}

const text = (v: unknown, max: number) => (typeof v === 'string' ? v.slice(0, max) : '');

/**
 * The model's findings that check out: the path is one of the files, the line exists, and the
 * quoted code is really on that line (whitespace-normalised). `dropped` counts the others.
 */
export function checkModelFindings(review: ModelReview, files: SourceFile[]): { findings: Finding[]; dropped: number } {
  const lines = new Map(files.map((f) => [f.path, f.content.split(/\r?\n/)]));
  const findings: Finding[] = [];
  let dropped = 0;
  for (const raw of review.findings.slice(0, 500)) {
    const m = (raw ?? {}) as ModelFinding;
    const path = typeof m.path === 'string' ? m.path.replace(/^\.\//, '') : '';
    const fileLines = lines.get(path);
    const line = Number(m.line);
    const quote = normalise(text(m.quote, 2000));
    const message = text(m.message, 2000).trim();
    const ok = fileLines && Number.isInteger(line) && line >= 1 && line <= fileLines.length && quote !== '' && normalise(fileLines[line - 1]).includes(quote) && message !== '';
    if (!ok) {
      dropped++;
      continue;
    }
    const endLine = Number(m.endLine);
    const suggestion = text(m.suggestion, 4000).trim();
    findings.push({
      path,
      line,
      ...(Number.isInteger(endLine) && endLine > line && endLine <= fileLines.length ? { endLine } : {}),
      severity: normaliseSeverity(m.severity),
      rule: `llm/${ruleId(m.id, message)}`,
      source: 'llm',
      message,
      ...(suggestion ? { suggestion } : {}),
    });
  }
  return { findings, dropped };
}
