import type { taskManagerV1 } from '@aether/contracts';
import { charLength, Violations } from '../common/validation';
import { TASK_PRIORITIES, TASK_STATUSES, type TaskPriority, type TaskStatus } from './task.entity';

export const TITLE_MAX = 200;
export const DESCRIPTION_MAX = 10_000;
export const LABELS_MAX = 20;
export const LABEL_MAX = 50;

/** A validated create-task request (also what a schedule's template turns into). */
export interface NewTask {
  title: string;
  description: string;
  priority: TaskPriority;
  labels: string[];
  dueAt: Date | null;
  assigneeId: string | null;
}

/** Validated update: only present keys change; null clears. */
export interface TaskPatch {
  title?: string;
  description?: string;
  status?: TaskStatus;
  priority?: TaskPriority;
  labels?: string[];
  dueAt?: Date | null;
  assigneeId?: string | null;
}

function title(v: Violations, field: string, raw: string): string {
  const t = raw.trim();
  if (t.length === 0) v.add(field, 'must not be empty');
  else v.text(field, t, TITLE_MAX);
  return t;
}

function description(v: Violations, field: string, raw: string): string {
  v.text(field, raw, DESCRIPTION_MAX);
  return raw;
}

/** Trimmed, de-duplicated labels (order kept); each 1..50 characters, at most 20. */
export function labels(v: Violations, field: string, raw: readonly string[]): string[] {
  const out: string[] = [];
  raw.forEach((l, i) => {
    const t = typeof l === 'string' ? l.trim() : '';
    if (t.length === 0 || charLength(t) > LABEL_MAX) v.add(`${field}.${i}`, `must be 1 to ${LABEL_MAX} characters`);
    else if (v.text(`${field}.${i}`, t, LABEL_MAX) && !out.includes(t)) out.push(t);
  });
  if (out.length > LABELS_MAX) v.add(field, `must hold at most ${LABELS_MAX} labels`);
  return out;
}

type TemplateLike = Pick<taskManagerV1.CreateTaskRequest, 'title' | 'description' | 'priority' | 'labels' | 'assigneeId'>;

/** Fields shared by a new task and a schedule's task template; `prefix` names nested fields. */
export function parseTaskFields(v: Violations, req: TemplateLike, prefix = ''): Omit<NewTask, 'dueAt'> {
  return {
    title: title(v, `${prefix}title`, req.title ?? ''),
    description: description(v, `${prefix}description`, req.description ?? ''),
    priority: req.priority ? (v.oneOf(`${prefix}priority`, req.priority, TASK_PRIORITIES) ?? 'medium') : 'medium',
    labels: labels(v, `${prefix}labels`, req.labels ?? []),
    assigneeId: req.assigneeId ? (v.uuid(`${prefix}assigneeId`, req.assigneeId) ?? null) : null,
  };
}

export function parseCreateTask(req: taskManagerV1.CreateTaskRequest): NewTask {
  const v = new Violations();
  const fields = parseTaskFields(v, req);
  const dueAt = req.dueAt ? (v.date('dueAt', req.dueAt) ?? null) : null;
  v.throwIfAny();
  return { ...fields, dueAt };
}

export function parseTaskPatch(req: taskManagerV1.UpdateTaskRequest): TaskPatch {
  const v = new Violations();
  const patch: TaskPatch = {};
  if (req.title !== undefined && req.title !== null) patch.title = title(v, 'title', req.title);
  if (req.description !== undefined && req.description !== null) patch.description = description(v, 'description', req.description);
  if (req.status !== undefined && req.status !== null) patch.status = v.oneOf('status', req.status, TASK_STATUSES);
  if (req.priority !== undefined && req.priority !== null) patch.priority = v.oneOf('priority', req.priority, TASK_PRIORITIES);
  if (req.labels) patch.labels = labels(v, 'labels', req.labels.values ?? []);
  if (req.dueAt !== undefined && req.dueAt !== null) patch.dueAt = req.dueAt === '' ? null : (v.date('dueAt', req.dueAt) ?? null);
  if (req.assigneeId !== undefined && req.assigneeId !== null) {
    patch.assigneeId = req.assigneeId === '' ? null : (v.uuid('assigneeId', req.assigneeId) ?? null);
  }
  if (req.expectedVersion < 0) v.add('expectedVersion', 'must be a positive version');
  v.throwIfAny();
  return patch;
}
