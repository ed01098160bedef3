import type { taskManagerV1 } from '@aether/contracts';
import { charLength, Violations } from '@aether/service-kit';
import { TASK_PRIORITIES, TASK_STATUSES, type TaskPriority, type TaskStatus } from './task.entity';

export const TITLE_MAX = 200;
export const DESCRIPTION_MAX = 10_000;
export const LABELS_MAX = 20;
export const LABEL_MAX = 50;

// Text is stored exactly as sent (nothing trimmed, nothing dropped): what cannot be stored as
// sent — blank titles, labels that would not match themselves in a filter — is a 400 instead.

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

/** A title or name: required, not blank, stored as sent. */
export function requiredName(v: Violations, field: string, raw: string, max: number): string {
  if (raw.trim().length === 0) v.add(field, 'must not be empty');
  else v.text(field, raw, max);
  return raw;
}

function description(v: Violations, field: string, raw: string): string {
  v.text(field, raw, DESCRIPTION_MAX);
  return raw;
}

/** A due date: a date-time with its zone; a bare date would leave the time and zone to guess. */
function dueDate(v: Violations, field: string, raw: string): Date | null {
  return v.date(field, raw, { dateOnly: false }) ?? null;
}

/** One label (1..50 characters, not blank); undefined with a violation when it is not one. */
function label(v: Violations, field: string, raw: unknown): string | undefined {
  const value = typeof raw === 'string' ? raw : '';
  if (value.trim().length === 0 || charLength(value) > LABEL_MAX) {
    v.add(field, `must be 1 to ${LABEL_MAX} characters`);
    return undefined;
  }
  return v.text(field, value, LABEL_MAX) ? value : undefined;
}

/**
 * Labels to store, exactly as sent: each valid, at most 20, none repeated and none with white
 * space around it (it could never be found by `?label=`, whose values are trimmed).
 */
export function labels(v: Violations, field: string, raw: readonly string[]): string[] {
  const out: string[] = [];
  raw.forEach((l, i) => {
    const value = label(v, `${field}.${i}`, l);
    if (value === undefined) return;
    if (value.trim() !== value) v.add(`${field}.${i}`, 'must not start or end with white space');
    else if (out.includes(value)) v.add(`${field}.${i}`, 'repeats an earlier label');
    else out.push(value);
  });
  if (raw.length > LABELS_MAX) v.add(field, `must hold at most ${LABELS_MAX} labels`);
  return out;
}

/** Labels of a list filter (tasks carrying all of them): each valid, repeats harmless. */
export function labelFilter(v: Violations, field: string, raw: readonly string[]): string[] {
  const out: string[] = [];
  raw.forEach((l, i) => {
    const value = label(v, `${field}.${i}`, l);
    if (value !== undefined && !out.includes(value)) out.push(value);
  });
  if (out.length > LABELS_MAX) v.add(field, `must hold at most ${LABELS_MAX} labels`);
  return out;
}

type TemplateLike = Pick<taskManagerV1.CreateTaskRequest, 'title' | 'description' | 'priority' | 'labels' | 'assigneeId'>;

/** Fields shared by a new task and a schedule's task template; `prefix` names nested fields. */
export function parseTaskFields(v: Violations, req: TemplateLike, prefix = ''): Omit<NewTask, 'dueAt'> {
  return {
    title: requiredName(v, `${prefix}title`, req.title ?? '', TITLE_MAX),
    description: description(v, `${prefix}description`, req.description ?? ''),
    priority: req.priority ? (v.oneOf(`${prefix}priority`, req.priority, TASK_PRIORITIES) ?? 'medium') : 'medium',
    labels: labels(v, `${prefix}labels`, req.labels ?? []),
    assigneeId: req.assigneeId ? (v.uuid(`${prefix}assigneeId`, req.assigneeId) ?? null) : null,
  };
}

export function parseCreateTask(req: taskManagerV1.CreateTaskRequest): NewTask {
  const v = new Violations();
  const fields = parseTaskFields(v, req);
  const dueAt = req.dueAt ? dueDate(v, 'dueAt', req.dueAt) : null;
  v.throwIfAny();
  return { ...fields, dueAt };
}

/** In an update, a present empty string clears (dueAt, assigneeId, description): proto3 has no null. */
export function parseTaskPatch(req: taskManagerV1.UpdateTaskRequest): TaskPatch {
  const v = new Violations();
  const patch: TaskPatch = {};
  const present = <T>(value: T | undefined | null): value is T => value !== undefined && value !== null;
  if (present(req.title)) patch.title = requiredName(v, 'title', req.title, TITLE_MAX);
  if (present(req.description)) patch.description = description(v, 'description', req.description);
  if (present(req.status)) patch.status = v.oneOf('status', req.status, TASK_STATUSES);
  if (present(req.priority)) patch.priority = v.oneOf('priority', req.priority, TASK_PRIORITIES);
  if (req.labels) patch.labels = labels(v, 'labels', req.labels.values ?? []);
  if (present(req.dueAt)) patch.dueAt = req.dueAt === '' ? null : dueDate(v, 'dueAt', req.dueAt);
  if (present(req.assigneeId)) patch.assigneeId = req.assigneeId === '' ? null : (v.uuid('assigneeId', req.assigneeId) ?? null);
  if (req.expectedVersion < 0) v.add('expectedVersion', 'must be a positive version');
  v.throwIfAny();
  return patch;
}
