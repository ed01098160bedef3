import { parsePatch, type StructuredPatch } from 'diff';
import { ValidationError, type FieldViolation } from '@aether/service-kit';
import type { SourceFile } from '../analysis/analysis.types';

/** The lines a unified diff adds or changes, per new file path (1-based line numbers of the new file). */
export type ChangedLines = Map<string, Set<number>>;

const NO_FILE = '/dev/null';

/** git writes `a/<path>` and `b/<path>`; other tools write the bare path. */
function stripPrefix(name: string | undefined, prefix: 'a/' | 'b/'): string {
  const n = (name ?? '').split('\t')[0].trim();
  return n.startsWith(prefix) ? n.slice(2) : n;
}

function invalid(violations: FieldViolation[]): never {
  throw new ValidationError('The diff does not fit the files', violations);
}

/**
 * Parses `diff` (parsePatch of npm `diff`) and checks it against `files`, the new contents: every
 * file the diff adds or modifies is in `files`, nothing else is, and each hunk's context and added
 * lines are the file's lines at the hunk's position. Answers the added lines of each file.
 */
export function changedLines(diff: string, files: SourceFile[]): ChangedLines {
  let patches: StructuredPatch[];
  try {
    patches = parsePatch(diff);
  } catch (err) {
    invalid([{ field: 'diff', message: `is not a unified diff (${(err as Error).message.slice(0, 120)})` }]);
  }
  const byPath = new Map(files.map((f) => [f.path, f]));
  const out: ChangedLines = new Map();
  const violations: FieldViolation[] = [];
  for (const p of patches) {
    const newPath = stripPrefix(p.newFileName, 'b/');
    if (p.hunks.length === 0 && !newPath) continue; // text around the patches (commit message, etc.)
    if (newPath === NO_FILE || !newPath) continue; // a deleted file: nothing left to review
    const file = byPath.get(newPath);
    if (!file) {
      violations.push({ field: 'files', message: `must hold the new content of ${newPath.slice(0, 200)}, which the diff changes` });
      continue;
    }
    const lines = file.content.split(/\r?\n/);
    const added = out.get(newPath) ?? new Set<number>();
    out.set(newPath, added);
    for (const h of p.hunks) {
      let n = h.newStart;
      for (const l of h.lines) {
        const kind = l[0];
        if (kind === '-' || kind === '\\') continue;
        // Lines compare without their CR: a CRLF file and its diff agree whichever tool wrote the diff.
        const text = l.slice(1).replace(/\r$/, '');
        if (lines[n - 1] !== text) {
          violations.push({ field: 'diff', message: `does not match ${newPath.slice(0, 200)}: line ${n} of the file differs from the diff` });
          break;
        }
        if (kind === '+') added.add(n);
        n++;
      }
    }
  }
  if (out.size === 0 && violations.length === 0) invalid([{ field: 'diff', message: 'changes no file (it holds no hunk of a unified diff)' }]);
  for (const f of files) {
    if (!out.has(f.path) && violations.length < 20) violations.push({ field: 'files', message: `holds ${f.path.slice(0, 200)}, which the diff does not change` });
  }
  if (violations.length) invalid(violations.slice(0, 20));
  return out;
}

/** True when the finding's line (or any line of its range) is one the diff added or changed. */
export function onChangedLine(changed: ChangedLines, f: { path: string; line: number; endLine?: number }): boolean {
  const lines = changed.get(f.path);
  if (!lines) return false;
  const end = f.endLine && f.endLine > f.line ? Math.min(f.endLine, f.line + 500) : f.line;
  for (let n = f.line; n <= end; n++) if (lines.has(n)) return true;
  return false;
}
