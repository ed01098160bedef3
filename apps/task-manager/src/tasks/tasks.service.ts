import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { TaskCompletedEvent, TaskCreatedEvent, TaskDeletedEvent, TaskUpdatedEvent, type taskManagerV1 } from '@aether/contracts';
import {
  decodeCursor,
  encodeCursor,
  isUuid,
  NotFoundError,
  pageLimit,
  PermissionDeniedError,
  pgPool,
  PreconditionFailedError,
  ValidationError,
} from '@aether/service-kit';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { canRead, canWrite, type Actor } from '../common/actor';
import { EventOutbox } from '../events/task-manager-events';
import { parseCreateTask, parseTaskPatch, type NewTask, type TaskPatch } from './task-input';
import { buildListSql, cursorKeyLength, cursorKeyOf, parseListRequest } from './task-list.query';
import { TASK_COLUMNS, TaskEntity, taskFromRow } from './task.entity';
import { toTaskMessage } from './task.mapper';

export interface TaskPage {
  items: TaskEntity[];
  nextCursor: string;
}

/** Where a task came from when a schedule created it. */
export interface TaskOrigin {
  scheduleId: string;
  /** The cron time it was created for (null for a manual run). */
  scheduledFor: Date | null;
}

const notFound = () => new NotFoundError('Task not found');
const GET_TASK_SQL = `SELECT ${TASK_COLUMNS} FROM tasks WHERE id = $1`;

/** Tasks: create, read, list, update with optimistic concurrency, delete — each with its event. */
@Injectable()
export class TasksService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: EventOutbox,
  ) {}

  async create(actor: Actor, req: taskManagerV1.CreateTaskRequest): Promise<TaskEntity> {
    const input = parseCreateTask(req);
    return this.db.transaction((m) => this.createWith(m, actor.userId, input));
  }

  /** Inserts a task and its `created` event inside the caller's transaction (schedules use it). */
  async createWith(m: EntityManager, ownerId: string, input: NewTask, origin?: TaskOrigin): Promise<TaskEntity> {
    const task = m.create(TaskEntity, {
      ...input,
      id: randomUUID(),
      ownerId,
      status: 'todo',
      version: 1,
      scheduleId: origin?.scheduleId ?? null,
      scheduledFor: origin?.scheduledFor ?? null,
      remindedAt: null,
      completedAt: null,
    });
    await m.insert(TaskEntity, task);
    await this.outbox.publish(m, TaskCreatedEvent, { task: toTaskMessage(task) }, { subject: ownerId });
    return task;
  }

  async get(actor: Actor, id: string): Promise<TaskEntity> {
    if (!isUuid(id)) throw notFound();
    // Plain SQL on the pool: the repository's findOneBy (metadata walk, query builder) was a
    // quarter of this service's CPU on GET /tasks/{id}, TypeORM's query runner another 5 % (issue 16).
    const { rows } = await pgPool(this.db).query<Record<string, unknown>>(GET_TASK_SQL, [id]);
    const task = rows.length ? taskFromRow(rows[0]) : null;
    if (!task || !canRead(actor, task)) throw notFound();
    return task;
  }

  async list(actor: Actor, req: taskManagerV1.ListTasksRequest): Promise<TaskPage> {
    const spec = parseListRequest(req);
    const limit = pageLimit(req.page);
    const cursor = decodeCursor(req.page?.cursor, spec.sortToken, cursorKeyLength(spec));
    const { sql, params } = buildListSql(spec, actor, limit, cursor);
    let rows: Record<string, unknown>[];
    try {
      rows = await this.db.query(sql, params);
    } catch (err) {
      // A forged cursor whose values do not cast (bad timestamp, uuid, number) is a 400.
      if (cursor && err instanceof QueryFailedError && ['22007', '22008', '22P02', '22003'].includes((err.driverError as { code?: string })?.code ?? '')) {
        throw new ValidationError('Invalid page', [{ field: 'cursor', message: 'is not a cursor returned by this list' }]);
      }
      throw err;
    }
    const items = rows.slice(0, limit);
    const nextCursor =
      rows.length > limit ? encodeCursor({ s: spec.sortToken, k: cursorKeyOf(items[items.length - 1], spec) }) : '';
    return { items: items.map(taskFromRow), nextCursor };
  }

  async update(actor: Actor, req: taskManagerV1.UpdateTaskRequest): Promise<TaskEntity> {
    const patch = parseTaskPatch(req);
    if (!isUuid(req.id)) throw notFound();
    return this.db.transaction(async (m) => {
      // Row lock: concurrent updates of one task serialise, so versions never skip or repeat.
      const task = await m.findOne(TaskEntity, { where: { id: req.id }, lock: { mode: 'pessimistic_write' } });
      if (!task || !canRead(actor, task)) throw notFound();
      if (!canWrite(actor, task)) throw new PermissionDeniedError('You may not change this task');
      if (req.expectedVersion > 0 && req.expectedVersion !== task.version) {
        throw new PreconditionFailedError('VERSION_CONFLICT', `The task is at version ${task.version}, not ${req.expectedVersion}`);
      }
      const changed = applyPatch(task, patch, new Date());
      // Nothing differs: nothing is written, the version (ETag) stays and no event goes out.
      if (changed.length === 0) return task;
      await m.save(TaskEntity, task);
      const data = { task: toTaskMessage(task), changes: changed };
      await this.outbox.publish(m, TaskUpdatedEvent, data, { subject: task.ownerId });
      if (changed.includes('status') && task.status === 'done') {
        await this.outbox.publish(m, TaskCompletedEvent, data, { subject: task.ownerId });
      }
      return task;
    });
  }

  async delete(actor: Actor, id: string): Promise<void> {
    if (!isUuid(id)) throw notFound();
    await this.db.transaction(async (m) => {
      const task = await m.findOne(TaskEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!task || !canRead(actor, task)) throw notFound();
      // An assignee works on the task but does not own it.
      if (!(actor.writeAll || task.ownerId === actor.userId)) throw new PermissionDeniedError('Only the owner may delete this task');
      await m.delete(TaskEntity, { id });
      await this.outbox.publish(m, TaskDeletedEvent, { task: toTaskMessage(task) }, { subject: task.ownerId });
    });
  }
}

/**
 * Applies a validated patch; returns the names of fields whose value changed. A change bumps
 * the version (it is the ETag) and updatedAt; a patch that changes nothing (`{}`, or only the
 * values the task already has) leaves the task untouched. completedAt follows status; a new due
 * date re-arms the due-soon reminder.
 */
export function applyPatch(task: TaskEntity, patch: TaskPatch, now: Date): string[] {
  const changed: string[] = [];
  const set = <K extends keyof TaskPatch & keyof TaskEntity>(key: K, same: (a: TaskEntity[K], b: TaskEntity[K]) => boolean) => {
    const value = patch[key] as TaskEntity[K] | undefined;
    if (value === undefined || same(task[key], value)) return;
    task[key] = value;
    changed.push(key);
  };
  const eq = <T>(a: T, b: T) => a === b;
  set('title', eq);
  set('description', eq);
  set('priority', eq);
  set('assigneeId', eq);
  set('labels', (a, b) => a.length === b.length && a.every((x, i) => x === b[i]));
  set('dueAt', (a, b) => (a?.getTime() ?? null) === (b?.getTime() ?? null));
  const before = task.status;
  set('status', eq);
  if (task.status !== before) {
    if (task.status === 'done') task.completedAt = now;
    else if (before === 'done') task.completedAt = null;
  }
  if (changed.length === 0) return changed;
  if (changed.includes('dueAt')) task.remindedAt = null;
  task.version += 1;
  task.updatedAt = now;
  return changed;
}
