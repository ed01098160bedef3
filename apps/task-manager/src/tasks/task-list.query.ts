import type { taskManagerV1 } from '@aether/contracts';
import type { Actor } from '../common/actor';
import { Violations } from '@aether/service-kit';
import { labelFilter } from './task-input';
import { TASK_COLUMNS, TASK_PRIORITIES, TASK_STATUSES, type TaskPriority, type TaskStatus } from './task.entity';

export const SORT_FIELDS = ['createdAt', 'dueAt', 'priority'] as const;
export type SortField = (typeof SORT_FIELDS)[number];

/**
 * Sort key columns per sort (id is always appended as the tie-breaker), each with the SQL type
 * a cursor value is cast to. Every key has a matching composite index (see the migration).
 */
const SORT_KEYS: Record<SortField, { column: string; type: string }[]> = {
  createdAt: [{ column: 'created_at', type: 'timestamptz' }],
  dueAt: [
    { column: 'due_sort', type: 'timestamptz' },
    { column: 'created_at', type: 'timestamptz' },
  ],
  priority: [
    { column: 'priority_rank', type: 'smallint' },
    { column: 'created_at', type: 'timestamptz' },
  ],
};

export interface TaskListSpec {
  statuses: TaskStatus[];
  priorities: TaskPriority[];
  labels: string[];
  assigneeId?: string;
  q?: string;
  dueBefore?: Date;
  dueAfter?: Date;
  sort: SortField;
  desc: boolean;
  /** The sort as the client wrote it; cursors are bound to it. */
  sortToken: string;
}

export const Q_MAX = 200;

/** Validates the filters of a list request; every bad filter is a field violation (400). */
export function parseListRequest(req: taskManagerV1.ListTasksRequest): TaskListSpec {
  const v = new Violations();
  const statuses = (req.status ?? []).map((s) => v.oneOf('status', s, TASK_STATUSES)).filter((s): s is TaskStatus => !!s);
  const priorities = (req.priority ?? [])
    .map((p) => v.oneOf('priority', p, TASK_PRIORITIES))
    .filter((p): p is TaskPriority => !!p);
  const labels = labelFilter(v, 'label', req.labels ?? []);
  const assigneeId = req.assigneeId ? v.uuid('assigneeId', req.assigneeId) : undefined;
  const q = req.q?.trim() || undefined;
  if (q) v.text('q', q, Q_MAX);
  const dueBefore = req.dueBefore ? v.date('dueBefore', req.dueBefore) : undefined;
  const dueAfter = req.dueAfter ? v.date('dueAfter', req.dueAfter) : undefined;
  const sortToken = req.sort || '-createdAt';
  const desc = sortToken.startsWith('-');
  const sort = v.oneOf('sort', desc ? sortToken.slice(1) : sortToken, SORT_FIELDS) ?? 'createdAt';
  v.throwIfAny('Invalid filter');
  return { statuses, priorities, labels, assigneeId, q, dueBefore, dueAfter, sort, desc, sortToken };
}

/** Number of values in a cursor of this sort (sort columns + id). */
export function cursorKeyLength(spec: TaskListSpec): number {
  return SORT_KEYS[spec.sort].length + 1;
}

/** Aliases under which the list query returns the sort key as text, for the next cursor. */
export function cursorKeyOf(row: Record<string, unknown>, spec: TaskListSpec): string[] {
  return [...SORT_KEYS[spec.sort].map((_, i) => String(row[`ck${i}`])), String(row.id)];
}

/**
 * SQL for one page (limit + 1 rows, to know whether there is a next page).
 *
 * A non-admin sees tasks they own OR are assigned. `owner_id = $me OR assignee_id = $me` cannot
 * walk one index in sort order, so the query is a UNION ALL of two branches — owner, and
 * assignee-but-not-owner (no duplicates) — each an index range scan on (branch column, sort
 * key, id) that stops after limit + 1 rows, merged and cut again. Keyset condition
 * `(key, id) > (cursor)` (or `<` descending) keeps pages stable while rows are inserted.
 */
export function buildListSql(
  spec: TaskListSpec,
  actor: Actor,
  limit: number,
  cursor: string[] | undefined,
): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const p = (value: unknown, cast: string) => {
    params.push(value);
    return `$${params.length}::${cast}`;
  };

  const where: string[] = [];
  if (spec.statuses.length) where.push(`status = ANY(${p(spec.statuses, 'text[]')})`);
  if (spec.priorities.length) where.push(`priority = ANY(${p(spec.priorities, 'text[]')})`);
  if (spec.labels.length) where.push(`labels @> ${p(spec.labels, 'text[]')}`);
  if (spec.assigneeId) where.push(`assignee_id = ${p(spec.assigneeId, 'uuid')}`);
  if (spec.q) where.push(`search @@ websearch_to_tsquery('english', ${p(spec.q, 'text')})`);
  if (spec.dueBefore) where.push(`due_at < ${p(spec.dueBefore, 'timestamptz')}`);
  if (spec.dueAfter) where.push(`due_at >= ${p(spec.dueAfter, 'timestamptz')}`);

  const keys = SORT_KEYS[spec.sort];
  const keyCols = [...keys.map((k) => k.column), 'id'];
  if (cursor) {
    const values = [...keys.map((k, i) => p(cursor[i], k.type)), p(cursor[keys.length], 'uuid')];
    where.push(`(${keyCols.join(', ')}) ${spec.desc ? '<' : '>'} (${values.join(', ')})`);
  }

  const dir = spec.desc ? 'DESC' : 'ASC';
  const select = `SELECT ${TASK_COLUMNS}, ${keys.map((k, i) => `${k.column} AS sk${i}, ${k.column}::text AS ck${i}`).join(', ')} FROM tasks`;
  const order = (cols: string[]) => `ORDER BY ${cols.map((c) => `${c} ${dir}`).join(', ')}`;
  const lim = p(limit + 1, 'int');
  const branch = (visibility: string[]) => {
    const conds = [...visibility, ...where];
    return `${select}${conds.length ? ` WHERE ${conds.join(' AND ')}` : ''} ${order(keyCols)} LIMIT ${lim}`;
  };

  if (actor.readAll || actor.writeAll) return { sql: branch([]), params };

  const me = p(actor.userId, 'uuid');
  const owned = branch([`owner_id = ${me}`]);
  const assigned = branch([`assignee_id = ${me}`, `owner_id <> ${me}`]);
  const outerKeys = [...keys.map((_, i) => `sk${i}`), 'id'];
  return { sql: `(${owned}) UNION ALL (${assigned}) ${order(outerKeys)} LIMIT ${lim}`, params };
}
