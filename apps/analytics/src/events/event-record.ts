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
const TASK_PREFIX = 'task-manager.task.';

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const str = (x: unknown): string | undefined => (typeof x === 'string' && x.length > 0 ? x : undefined);
/** Accepts camelCase and snake_case (proto JSON and hand-written payloads both occur). */
const pick = (o: Obj, ...keys: string[]): unknown => keys.map((k) => o[k]).find((v) => v !== undefined);
const num = (x: unknown): number => {
  const n = typeof x === 'string' ? Number(x) : x;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : 0;
};

function parseTime(t: unknown, fallback: Date): Date {
  const d = t instanceof Date ? t : typeof t === 'string' ? new Date(t) : undefined;
  return d && !Number.isNaN(d.getTime()) ? d : fallback;
}

/** The user an event is about: its CloudEvents subject, else data.userId / data.ownerId. */
export function attributeUser(subject: string | undefined, data: unknown): string {
  if (subject) return subject;
  if (!isObj(data)) return '';
  const nested = isObj(data.task) ? data.task : {};
  return str(pick(data, 'userId', 'user_id', 'ownerId', 'owner_id')) ?? str(pick(nested, 'ownerId', 'owner_id')) ?? '';
}

function taskSignal(ev: IncomingEvent, userId: string, time: Date): TaskSignal | undefined {
  if (!ev.type.startsWith(TASK_PREFIX) || !isObj(ev.data)) return undefined;
  const data = ev.data;
  // Payloads are either the task itself or { task, changes?, previousStatus? }.
  const task = isObj(data.task) ? data.task : data;
  const taskId = str(pick(task, 'id', 'taskId', 'task_id')) ?? str(pick(data, 'taskId', 'task_id'));
  if (!taskId) return undefined;
  const verb = ev.type.slice(TASK_PREFIX.length);
  const status = str(pick(task, 'status')) ?? (isObj(data.changes) ? str(data.changes.status) : undefined);
  const completed = verb === 'completed' || status === 'done';
  const closed = completed || verb === 'deleted' || verb === 'cancelled' || status === 'cancelled';
  const dueRaw = pick(task, 'dueAt', 'due_at');
  let dueAt: Date | null | undefined;
  if (dueRaw === null || dueRaw === '') dueAt = null;
  else if (dueRaw !== undefined) {
    const d = parseTime(dueRaw, new Date(NaN));
    dueAt = Number.isNaN(d.getTime()) ? undefined : d;
  }
  const owner = str(pick(task, 'ownerId', 'owner_id')) ?? userId;
  const closedAt = closed ? (completed ? parseTime(pick(task, 'completedAt', 'completed_at'), time) : time) : undefined;
  return { taskId, userId: owner, time, dueAt, completed, closed, closedAt };
}

/** Turns an incoming CloudEvent into what is stored: the event with its buckets, plus task facts. */
export function toEventRecord(ev: IncomingEvent, receivedAt = new Date()): EventRecord {
  const time = parseTime(ev.time, receivedAt);
  const userId = attributeUser(str(ev.subject), ev.data);
  const doc: EventDoc = {
    _id: ev.id,
    type: ev.type,
    source: ev.source ?? '',
    subject: str(ev.subject) ?? '',
    userId,
    time,
    minute: floorTo(time, 'minute'),
    hour: floorTo(time, 'hour'),
    day: floorTo(time, 'day'),
    dataJson: JSON.stringify(ev.data ?? null),
  };
  if (ev.type === AI_COMPLETION_TYPE && isObj(ev.data)) {
    const usage = isObj(ev.data.usage) ? ev.data.usage : ev.data;
    doc.promptTokens = num(pick(usage, 'promptTokens', 'prompt_tokens'));
    doc.completionTokens = num(pick(usage, 'completionTokens', 'completion_tokens'));
    doc.costUsd = num(pick(usage, 'costUsd', 'cost_usd'));
  }
  return { doc, task: taskSignal(ev, userId, time) };
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
