import { ValidationError } from '@aether/service-kit';

export const DEFAULT_PAGE_LIMIT = 20;
export const MAX_PAGE_LIMIT = 100;

/** `limit` 1..100, 0/absent → 20 (common.proto); anything else is a 400. */
export function pageLimit(page: { limit?: number } | undefined): number {
  const limit = page?.limit ?? 0;
  if (limit === 0) return DEFAULT_PAGE_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw new ValidationError('Invalid page', [{ field: 'limit', message: `must be between 1 and ${MAX_PAGE_LIMIT}` }]);
  }
  return limit;
}

/**
 * Keyset cursor: the sort it belongs to and the last row's sort key (values as PostgreSQL text,
 * so timestamps keep their microseconds) ending with the row id. base64url(JSON): opaque to
 * clients, but never trusted — decodeCursor checks its shape and the caller casts every value.
 */
export interface Cursor {
  s: string;
  k: string[];
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');
}

const badCursor = () =>
  new ValidationError('Invalid page', [{ field: 'cursor', message: 'is not a cursor returned by this list' }]);

/** The key of `raw`, which must have been made for `sort` with `keyLength` values. */
export function decodeCursor(raw: string | undefined, sort: string, keyLength: number): string[] | undefined {
  if (!raw) return undefined;
  let parsed: Partial<Cursor> | undefined;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  if (
    !parsed || typeof parsed !== 'object' || parsed.s !== sort || !Array.isArray(parsed.k) ||
    parsed.k.length !== keyLength || !parsed.k.every((v) => typeof v === 'string' && v.length <= 64)
  ) {
    throw badCursor();
  }
  return parsed.k;
}
