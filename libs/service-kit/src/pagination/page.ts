import { ValidationError } from '../errors/domain-errors';

/** Page size of a list when the client asks for none (common.proto PageRequest.limit = 0). */
export const DEFAULT_PAGE_LIMIT = 20;
/** Largest page a list returns. */
export const MAX_PAGE_LIMIT = 100;
/** Longest cursor a client may send back (ours are far shorter). */
export const MAX_CURSOR_LENGTH = 1024;

/** common.proto's PageRequest as a service receives it. */
export interface PageInput {
  limit?: number;
  cursor?: string;
}

/** `limit` 1..100, 0/absent → 20 (common.proto); anything else is a 400. */
export function pageLimit(page: PageInput | undefined): number {
  const limit = page?.limit ?? 0;
  if (limit === 0) return DEFAULT_PAGE_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw new ValidationError('Invalid page', [{ field: 'limit', message: `must be between 1 and ${MAX_PAGE_LIMIT}` }]);
  }
  return limit;
}

/**
 * Keyset cursor: the sort it belongs to and the last row's sort key ending with the row id
 * (values as text — PostgreSQL's text of a timestamp keeps its microseconds). base64url(JSON):
 * opaque to clients, but never trusted — decodeCursor checks its shape, and either its `isValid`
 * or the caller's casts check the values.
 */
export interface Cursor {
  s: string;
  k: string[];
}

// Ids need not be UUIDs (a CloudEvents id is any string): room for them, within MAX_CURSOR_LENGTH.
const MAX_KEY_VALUE_LENGTH = 256;

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

/** The 400 a forged, stale or foreign cursor gets. */
export function invalidCursorError(): ValidationError {
  return new ValidationError('Invalid page', [{ field: 'cursor', message: 'is not a cursor returned by this list' }]);
}

/**
 * The key of `raw`, which must have been made for `sort` with `keyLength` values (and pass
 * `isValid`, when given); undefined when there is no cursor (first page).
 */
export function decodeCursor(
  raw: string | undefined,
  sort: string,
  keyLength: number,
  isValid: (key: string[]) => boolean = () => true,
): string[] | undefined {
  if (!raw) return undefined;
  if (raw.length > MAX_CURSOR_LENGTH) throw invalidCursorError();
  let parsed: Partial<Cursor> | undefined;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursorError();
  }
  if (
    !parsed || typeof parsed !== 'object' || parsed.s !== sort || !Array.isArray(parsed.k) ||
    parsed.k.length !== keyLength || !parsed.k.every((v) => typeof v === 'string' && v.length <= MAX_KEY_VALUE_LENGTH) ||
    !isValid(parsed.k)
  ) {
    throw invalidCursorError();
  }
  return parsed.k;
}

/**
 * One page from `limit + 1` fetched rows: the first `limit`, and a cursor (from the last of
 * them) when there was one more; '' on the last page (proto3's unset string).
 */
export function pageOf<T>(rows: T[], limit: number, cursorOf: (last: T) => Cursor): { items: T[]; nextCursor: string } {
  const items = rows.slice(0, limit);
  const nextCursor = rows.length > limit ? encodeCursor(cursorOf(items[items.length - 1])) : '';
  return { items, nextCursor };
}
