import { ValidationError } from '@aether/service-kit';

export const DEFAULT_PAGE_LIMIT = 20;
export const MAX_PAGE_LIMIT = 100;

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

/** Opaque cursors: base64url JSON of the last row's sort key. */
export function encodeCursor(key: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor<K extends Record<string, string | number>>(
  cursor: string | undefined,
  isKey: (v: unknown) => v is K,
): K | undefined {
  if (!cursor) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (!isKey(parsed)) {
    throw new ValidationError('Invalid page', [{ field: 'cursor', message: 'is not a cursor returned by this list' }]);
  }
  return parsed;
}

/** Sort key of lists ordered by (created_at, id). */
export interface TimeIdKey extends Record<string, string> {
  t: string;
  id: string;
}

export function isTimeIdKey(v: unknown): v is TimeIdKey {
  const k = v as TimeIdKey;
  return (
    typeof k === 'object' && k !== null &&
    typeof k.t === 'string' && !Number.isNaN(Date.parse(k.t)) &&
    typeof k.id === 'string' && /^[0-9a-f-]{36}$/i.test(k.id)
  );
}

/** Fetch `limit + 1` rows, return `limit` and a cursor when there was one more. */
export function pageOf<T>(rows: T[], limit: number, keyOf: (last: T) => Record<string, string | number>) {
  const items = rows.slice(0, limit);
  const nextCursor = rows.length > limit ? encodeCursor(keyOf(items[items.length - 1])) : '';
  return { items, nextCursor };
}
