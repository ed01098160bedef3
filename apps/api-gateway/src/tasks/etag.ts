import { ValidationError } from '@aether/service-kit';

/** The strong ETag of a task: its version. */
export const etagOf = (version: number): string => `"${version}"`;

/**
 * The version an `If-Match` header asks for: `"3"`, `W/"3"` or a bare `3` (the contract's
 * form). Absent or `*` → 0 (no check). Anything else is a 400 naming the header.
 */
export function expectedVersion(header: string | string[] | undefined): number {
  if (header === undefined) return 0;
  const value = (Array.isArray(header) ? header.join(',') : header).trim();
  if (value === '' || value === '*') return 0;
  const m = /^(?:W\/)?"?([1-9][0-9]{0,9})"?$/.exec(value);
  const version = m ? Number(m[1]) : NaN;
  if (!Number.isSafeInteger(version) || version > 2_147_483_647) {
    throw new ValidationError('The If-Match header is not valid', [
      { field: 'If-Match', message: 'must be the ETag (version) of the task, e.g. "3"' },
    ]);
  }
  return version;
}

/**
 * Whether an `If-None-Match` header matches the current ETag (RFC 9110 §13.1.2: `*` or a list of
 * entity tags, compared weakly) — the client's copy is current and a 304 saves resending it.
 */
export function ifNoneMatchHits(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const value = (Array.isArray(header) ? header.join(',') : header).trim();
  if (value === '*') return true;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return value.split(',').some((tag) => opaque(tag) === opaque(etag));
}
