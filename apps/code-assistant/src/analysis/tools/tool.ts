// What an analyzer that runs inside a worker thread exports (the worker loads one such module).
import type { Finding } from '../analysis.types';
import type { Language } from '../languages';

export interface ToolInput {
  path: string;
  content: string;
  language: Language;
}

export interface ToolOutput {
  findings: Finding[];
  /** Per-file problems (a crash on one file); the other files' findings still count. */
  errors: string[];
}

export interface WorkerTool {
  name: string;
  version(): string;
  /** Loads the tool (modules, WebAssembly) ahead of the first file. */
  load?(): Promise<void> | void;
  analyze(files: ToolInput[]): Promise<ToolOutput> | ToolOutput;
}

/** Text edits at 1-based line/column positions (end exclusive). */
export interface TextEdit {
  startLine: number;
  startColumn: number;
  endLine: number;
  endColumn: number;
  text: string;
}

/**
 * A finding's fix as a GitHub-style suggestion: the replacement text of the whole lines
 * `line..endLine` of the finding (widened to cover the edits when they go past `endLine`).
 * Undefined when the edits start above the finding's line (the suggestion could not sit there).
 */
export function suggestionFromEdits(content: string, line: number, endLine: number | undefined, edits: TextEdit[]): { suggestion: string; endLine: number } | undefined {
  if (edits.length === 0) return undefined;
  const lines = content.split('\n');
  const first = Math.min(...edits.map((e) => e.startLine));
  if (first < line) return undefined;
  const last = Math.max(endLine ?? line, ...edits.map((e) => e.endLine));
  if (last > lines.length) return undefined;
  const lineStarts: number[] = [];
  let offset = 0;
  for (const l of lines) {
    lineStarts.push(offset);
    offset += l.length + 1;
  }
  const at = (ln: number, col: number) => lineStarts[ln - 1] + col - 1;
  const from = lineStarts[line - 1];
  let to = lineStarts[last - 1] + lines[last - 1].length;
  let text = content.slice(from, to);
  // Apply from the end so earlier offsets stay valid.
  for (const e of [...edits].sort((a, b) => at(b.startLine, b.startColumn) - at(a.startLine, a.startColumn))) {
    const s = at(e.startLine, e.startColumn) - from;
    const t = at(e.endLine, e.endColumn) - from;
    if (s < 0 || t > to - from + 1 || t < s) return undefined;
    text = text.slice(0, s) + e.text + text.slice(t);
    to += e.text.length - (t - s);
  }
  return { suggestion: text.endsWith('\n') ? text.slice(0, -1) : text, endLine: last };
}

/** 1-based line and column of a 0-based character offset. */
export function positionAt(content: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = content.indexOf('\n'); i !== -1 && i < offset; i = content.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}
