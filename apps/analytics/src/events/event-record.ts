import type { taskManagerV1 } from '@aether/contracts';
import { CloudEvent, decodeEvent, InvalidEventError, type KnownCloudEvent } from '@aether/messaging';
import { floorTo } from './buckets';
import type { EventFacts } from './rollup-model';

/** The CloudEvents attributes analytics reads (a parsed envelope or its JSON form). */
export interface IncomingEvent {
  id: string;
  type: string;
  source?: string;
  subject?: string;
  time?: string | Date;
  data?: unknown;
}

/** One stored event; `_id` is the CloudEvents id, so the primary key makes storage idempotent. */
export interface EventDoc {
  _id: string;
  type: string;
  source: string;
  subject: string;
  /** '' when the event concerns no user (system events): only admins see those. */
  userId: string;
  time: Date;
  minute: Date;
  hour: Date;
  day: Date;
  /**
   * The CloudEvents data as JSON text. Not stored as a sub-document: payloads may carry field
   * names no document store takes (FerretDB rejects any name with a `.` or a leading `$`, e.g.
   * Docker labels `com.docker.compose.service`), and such an event would never be stored.
   */
  dataJson: string;
  /** Only in documents written before `dataJson`: the data as a sub-document. */
  data?: unknown;
  /** Figures summed by the summary (present only on the events that carry them). */
  promptTokens?: number;
  completionTokens?: number;
  costUsd?: number;
  /** The ingest journal that announced this event (see EventStore): how compaction recovers a batch whose writer died. */
  j?: string;
}

/** What an event says about one task, for `tasks.completed` / `tasks.overdue`. */
export interface TaskSignal {
  taskId: string;
  userId: string;
  time: Date;
  /** undefined: the event says nothing about the due date; null: it was cleared. */
  dueAt?: Date | null;
  completed: boolean;
  /** Completed, cancelled or deleted: the task can no longer become overdue. */
  closed: boolean;
  /**
   * When it was closed: the task's own `completedAt` for a done task (any later event about it,
   * e.g. an edit of a task done long ago, repeats that time), else the event's time.
   */
  closedAt?: Date;
}

export interface EventRecord {
  doc: EventDoc;
  task?: TaskSignal;
}

export const AI_COMPLETION_TYPE = 'ai-gateway.completion.completed';
export const TASK_CREATED_TYPE = 'task-manager.task.created';

/** A timestamp field of a proto message: ISO-8601, empty = unset; anything unparseable counts as unset. */
function protoTime(t: string): Date | undefined {
  if (!t) return undefined;
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

const nonNegative = (n: number): number => (Number.isFinite(n) && n > 0 ? n : 0);

/**
 * The typed payload of a catalogued event (`decodeEvent`), or undefined: a type the catalog does
 * not know, or data that is not a message (not a JSON object). Such events are stored and counted
 * by type like any other; no figure is read from their data.
 */
function decoded(ev: CloudEvent<unknown>): KnownCloudEvent | undefined {
  try {
    return decodeEvent(ev);
  } catch (e) {
    if (e instanceof InvalidEventError) return undefined;
    throw e;
  }
}

/**
 * What a task-manager task event says about its task (the payload carries the whole Task after
 * the change): done or cancelled closes it, `deleted` too; the due date is the task's, and an
 * empty one counts as "cleared" only when the change says so (`changes` holds `dueAt`), since
 * the other events carry no news about it.
 */
function taskSignal(known: KnownCloudEvent, time: Date): TaskSignal | undefined {
  let task: taskManagerV1.Task | undefined;
  let changes: string[] = [];
  let deleted = false;
  switch (known.type) {
    case 'task-manager.task.created':
    case 'task-manager.task.due_soon':
      task = known.data.task;
      break;
    case 'task-manager.task.updated':
    case 'task-manager.task.completed':
      task = known.data.task;
      changes = known.data.changes;
      break;
    case 'task-manager.task.deleted':
      task = known.data.task;
      deleted = true;
      break;
    default:
      return undefined;
  }
  if (!task?.id) return undefined;
  const completed = known.type === 'task-manager.task.completed' || task.status === 'done';
  const closed = completed || deleted || task.status === 'cancelled';
  const due = protoTime(task.dueAt);
  const dueAt = due ?? (changes.includes('dueAt') ? null : undefined);
  const closedAt = closed ? (completed ? (protoTime(task.completedAt) ?? time) : time) : undefined;
  return { taskId: task.id, userId: task.ownerId || (known.subject ?? ''), time, dueAt, completed, closed, closedAt };
}

/**
 * Turns an incoming CloudEvent into what is stored: the event with its buckets, attributed to its
 * subject (the acting/owning user id, by convention), plus the figures its typed payload carries
 * (AI usage, task facts). The data is stored as sent.
 */
export function toEventRecord(input: CloudEvent<unknown> | IncomingEvent, receivedAt = new Date()): EventRecord {
  const ev = input instanceof CloudEvent ? input : toCloudEvent(input);
  const parsed = ev.time ? new Date(ev.time) : receivedAt;
  const time = Number.isNaN(parsed.getTime()) ? receivedAt : parsed;
  const subject = ev.subject ?? '';
  const doc: EventDoc = {
    _id: ev.id,
    type: ev.type,
    source: ev.source ?? '',
    subject,
    userId: subject,
    time,
    minute: floorTo(time, 'minute'),
    hour: floorTo(time, 'hour'),
    day: floorTo(time, 'day'),
    dataJson: JSON.stringify(ev.data ?? null),
  };
  const known = decoded(ev);
  if (!known) return { doc };
  if (known.type === AI_COMPLETION_TYPE) {
    const usage = known.data.usage;
    doc.promptTokens = nonNegative(usage?.promptTokens ?? 0);
    doc.completionTokens = nonNegative(usage?.completionTokens ?? 0);
    doc.costUsd = nonNegative(usage?.costUsd ?? 0);
  }
  return { doc, task: taskSignal(known, time) };
}

/** A plain envelope (tests, tools) as the CloudEvent the consumer would have parsed. */
function toCloudEvent(ev: IncomingEvent): CloudEvent<unknown> {
  const time = ev.time instanceof Date ? ev.time.toISOString() : ev.time;
  return new CloudEvent<unknown>(
    { specversion: '1.0', id: ev.id, type: ev.type, source: ev.source ?? ev.type.split('.')[0], subject: ev.subject || undefined, time, data: ev.data },
    false,
  );
}

/** What the rollups keep of a stored event. Tokens are whole numbers, cost is kept in nano-USD (exact sums). */
export function factsOf(doc: EventDoc): EventFacts {
  return {
    id: doc._id,
    timeMs: doc.time.getTime(),
    type: doc.type,
    userId: doc.userId,
    promptTokens: Math.round(doc.promptTokens ?? 0),
    completionTokens: Math.round(doc.completionTokens ?? 0),
    usdNano: Math.round((doc.costUsd ?? 0) * 1e9),
  };
}
