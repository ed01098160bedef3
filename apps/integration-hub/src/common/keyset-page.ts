import { decodeCursor, isTimestampText, isUuid, pageLimit, pageOf, type PageInput } from '@aether/service-kit';
import type { DataSource } from 'typeorm';

export interface RowPage<R> {
  items: R[];
  nextCursor: string;
}

/**
 * One page of `table`, newest first (created_at DESC, id DESC: an index range scan whatever the
 * size), with `where` (SQL over $1..$n = `params`) as filter and `columns` selected. The cursor holds the last row's
 * created_at as PostgreSQL text (microseconds kept) and id.
 */
export async function newestFirstPage<R extends { id: string }>(
  db: DataSource,
  table: string,
  page: PageInput | undefined,
  where: string[],
  params: unknown[],
  fromRow: (row: Record<string, unknown>) => R,
  columns = '*',
): Promise<RowPage<R>> {
  const limit = pageLimit(page);
  const key = decodeCursor(page?.cursor, `${table}:newest`, 2, ([at, id]) => isTimestampText(at) && isUuid(id));
  const conditions = [...where];
  const values = [...params];
  if (key) {
    values.push(key[0], key[1]);
    conditions.push(`(created_at, id) < ($${values.length - 1}::timestamptz, $${values.length}::uuid)`);
  }
  values.push(limit + 1);
  const rows: Record<string, unknown>[] = await db.query(
    `SELECT ${columns}, created_at::text AS created_at_key FROM ${table}
      ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
      ORDER BY created_at DESC, id DESC LIMIT $${values.length}`,
    values,
  );
  const keyed = rows.map((row) => ({ row: fromRow(row), key: String(row.created_at_key) }));
  const { items, nextCursor } = pageOf(keyed, limit, (last) => ({ s: `${table}:newest`, k: [last.key, last.row.id] }));
  return { items: items.map((i) => i.row), nextCursor };
}
