import { Violations } from '@aether/service-kit';
import type { SourceFile } from '../analysis/analysis.types';

/** Caps of one review (the gateway's body limit is usually lower; gRPC callers meet these). */
export const REVIEW_LIMITS = {
  files: 100,
  pathChars: 1024,
  fileBytes: 8 * 1024 * 1024,
  totalBytes: 16 * 1024 * 1024,
  diffBytes: 16 * 1024 * 1024,
  focusChars: 500,
} as const;

/** Language hints the analyzers know by name (empty = guess from each path). */
const LANGUAGE = /^[a-z0-9+#-]{1,40}$/;

/**
 * A repository-relative path: no leading "/" or drive, no "." or ".." segment, no backslash, no
 * control character. Undefined when fine, else what is wrong.
 */
export function pathProblem(path: string): string | undefined {
  if (!path) return 'is required';
  if (path.length > REVIEW_LIMITS.pathChars) return `must be at most ${REVIEW_LIMITS.pathChars} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'must not contain control characters';
  if (path.includes('\\')) return 'must use "/" as separator';
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return 'must be relative to the repository';
  if (path.split('/').some((s) => s === '' || s === '.' || s === '..')) return 'must not contain empty, "." or ".." segments';
  return undefined;
}

/** Checks the files of a review or assist request into `v` (fields `files.<i>.path` / `.content`). */
export function checkFiles(v: Violations, files: SourceFile[] | undefined, field = 'files'): void {
  const list = files ?? [];
  if (list.length === 0) v.add(field, 'is required (at least one file)');
  if (list.length > REVIEW_LIMITS.files) v.add(field, `must hold at most ${REVIEW_LIMITS.files} files`);
  const seen = new Set<string>();
  let total = 0;
  list.slice(0, REVIEW_LIMITS.files).forEach((f, i) => {
    const problem = pathProblem(f.path ?? '');
    if (problem) v.add(`${field}.${i}.path`, problem);
    else if (seen.has(f.path)) v.add(`${field}.${i}.path`, 'appears twice');
    seen.add(f.path);
    checkContent(v, `${field}.${i}.content`, f.content);
    total += Buffer.byteLength(f.content ?? '');
  });
  if (total > REVIEW_LIMITS.totalBytes) v.add(field, `must hold at most ${REVIEW_LIMITS.totalBytes} bytes in all`);
}

export function checkContent(v: Violations, field: string, content: string | undefined): void {
  if (!content) v.add(field, 'is required');
  else if (content.includes('\u0000')) v.add(field, 'must be text (it contains NUL characters)');
  else if (Buffer.byteLength(content) > REVIEW_LIMITS.fileBytes) v.add(field, `must be at most ${REVIEW_LIMITS.fileBytes} bytes`);
}

export function checkLanguage(v: Violations, language: string | undefined): void {
  if (language && !LANGUAGE.test(language)) v.add('language', 'must be a language name such as typescript, python or shell');
}

export function checkFocus(v: Violations, focus: string | undefined): void {
  if (focus) v.text('focus', focus, REVIEW_LIMITS.focusChars);
}
