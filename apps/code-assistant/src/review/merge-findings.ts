import type { Finding, Severity } from '../analysis/analysis.types';
import { normaliseSeverity } from './model-findings';

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
const STOP = new Set(['this', 'that', 'with', 'from', 'should', 'could', 'value', 'line', 'code', 'used', 'uses', 'never', 'always', 'avoid', 'possible', 'found']);

function words(s: string): Set<string> {
  return new Set((s.toLowerCase().match(/[a-z0-9]+/g) ?? []).filter((w) => w.length >= 3 && !STOP.has(w)));
}

/** Same place (overlapping lines of one file) and the same issue: the rule's words meet the other's text. */
function sameIssue(a: Finding, b: Finding): boolean {
  if (a.path !== b.path) return false;
  const aEnd = a.endLine ?? a.line;
  const bEnd = b.endLine ?? b.line;
  if (a.line > bEnd || b.line > aEnd) return false;
  if (a.rule === b.rule) return true;
  const aRule = words(a.rule.split('/').slice(1).join(' '));
  const bText = words(`${b.rule.split('/').slice(1).join(' ')} ${b.message}`);
  for (const w of aRule) if (bText.has(w)) return true;
  const bRule = words(b.rule.split('/').slice(1).join(' '));
  const aText = words(`${a.rule.split('/').slice(1).join(' ')} ${a.message}`);
  for (const w of bRule) if (aText.has(w)) return true;
  return false;
}

/**
 * Analyzer findings first (they are exact), then the model's that say something new; a model
 * finding about the same issue on the same line only lends the analyzer's its suggestion.
 * Severities normalised, sorted by path, line and severity.
 */
export function mergeFindings(analyzer: Finding[], model: Finding[]): Finding[] {
  const out: Finding[] = [];
  for (const f of analyzer) {
    const n = { ...f, severity: normaliseSeverity(f.severity) };
    if (!out.some((o) => o.path === n.path && o.line === n.line && o.rule === n.rule && o.message === n.message)) out.push(n);
  }
  const fromAnalyzers = out.length;
  for (const m of model) {
    const twin = out.slice(0, fromAnalyzers).find((o) => sameIssue(o, m));
    if (twin) {
      if (!twin.suggestion && m.suggestion) twin.suggestion = m.suggestion;
      continue;
    }
    if (!out.some((o) => o.source === 'llm' && sameIssue(o, m))) out.push(m);
  }
  return out.sort((a, b) => a.path.localeCompare(b.path) || a.line - b.line || RANK[a.severity] - RANK[b.severity] || a.rule.localeCompare(b.rule));
}
