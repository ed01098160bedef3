import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ScheduleFiredEvent, type taskManagerV1 } from '@aether/contracts';
import { decodeCursor, encodeCursor, isUuid, NotFoundError, pageLimit, PermissionDeniedError, ValidationError, Violations } from '@aether/service-kit';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { canRead, canWrite, type Actor } from '../common/actor';
import { TaskManagerEnv } from '../config/task-manager.env';
import { EventOutbox } from '../events/task-manager-events';
import { parseTaskFields, requiredName } from '../tasks/task-input';
import type { TaskEntity } from '../tasks/task.entity';
import { toTaskMessage } from '../tasks/task.mapper';
import { TasksService } from '../tasks/tasks.service';
import { DEFAULT_TIMEZONE, nextRunAfter, validateCron } from './cron';
import { ScheduleEntity } from './schedule.entity';
import { toScheduleMessage } from './schedule.mapper';

export const NAME_MAX = 200;
const notFound = () => new NotFoundError('Schedule not found');

export interface SchedulePage {
  items: ScheduleEntity[];
  nextCursor: string;
}

/** Recurring schedules: CRUD, enable/disable and run-now. The cron loop is ScheduleRunner. */
@Injectable()
export class SchedulesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly tasks: TasksService,
    private readonly outbox: EventOutbox,
    private readonly env: TaskManagerEnv,
  ) {}

  async create(actor: Actor, req: taskManagerV1.CreateScheduleRequest): Promise<ScheduleEntity> {
    const v = new Violations();
    const name = requiredName(v, 'name', req.name ?? '', NAME_MAX);
    // Empty is proto3's "not sent" (the gateway refuses an empty timezone): the default applies.
    const timezone = req.timezone || DEFAULT_TIMEZONE;
    validateCron(v, req.cron ?? '', timezone, this.env.SCHEDULE_MIN_INTERVAL_SECONDS);
    if (!req.task) v.add('task', 'is required');
    const template = parseTaskFields(v, req.task ?? { title: '', description: '', priority: '', labels: [], assigneeId: '' }, 'task.');
    v.throwIfAny();
    const now = new Date();
    const schedule = this.db.getRepository(ScheduleEntity).create({
      id: randomUUID(),
      ownerId: actor.userId,
      name,
      cron: req.cron,
      timezone,
      taskTemplate: template,
      enabled: true,
      nextRunAt: nextRunAfter(req.cron, timezone, now),
      lastRunAt: null,
    });
    await this.db.getRepository(ScheduleEntity).insert(schedule);
    return schedule;
  }

  async get(actor: Actor, id: string): Promise<ScheduleEntity> {
    if (!isUuid(id)) throw notFound();
    const s = await this.db.getRepository(ScheduleEntity).findOneBy({ id });
    if (!s || !canRead(actor, s)) throw notFound();
    return s;
  }

  /** Newest first; keyset on (created_at, id). */
  async list(actor: Actor, req: taskManagerV1.ListSchedulesRequest): Promise<SchedulePage> {
    const limit = pageLimit(req.page);
    const cursor = decodeCursor(req.page?.cursor, '-createdAt', 2);
    const params: unknown[] = [];
    const where: string[] = [];
    if (!(actor.readAll || actor.writeAll)) {
      params.push(actor.userId);
      where.push(`owner_id = $${params.length}::uuid`);
    }
    if (cursor) {
      params.push(cursor[0], cursor[1]);
      where.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(limit + 1);
    const sql = `SELECT id, created_at::text AS ck FROM schedules ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY created_at DESC, id DESC LIMIT $${params.length}`;
    let rows: { id: string; ck: string }[];
    try {
      rows = await this.db.query(sql, params);
    } catch (err) {
      // A forged cursor value that does not cast is a data exception (SQLSTATE class 22); anything
      // else (the database down) stays what it is.
      if (cursor && err instanceof QueryFailedError && /^22/.test(String((err.driverError as { code?: string })?.code))) {
        throw new ValidationError('Invalid page', [{ field: 'cursor', message: 'is not a cursor returned by this list' }]);
      }
      throw err;
    }
    const page = rows.slice(0, limit);
    const byId = new Map(
      (page.length ? await this.db.getRepository(ScheduleEntity).findBy(page.map((r) => ({ id: r.id }))) : []).map((s) => [s.id, s]),
    );
    const last = page[page.length - 1];
    return {
      items: page.map((r) => byId.get(r.id)).filter((s): s is ScheduleEntity => !!s),
      nextCursor: rows.length > limit ? encodeCursor({ s: '-createdAt', k: [last.ck, last.id] }) : '',
    };
  }

  async update(actor: Actor, req: taskManagerV1.UpdateScheduleRequest): Promise<ScheduleEntity> {
    if (!isUuid(req.id)) throw notFound();
    return this.db.transaction(async (m) => {
      const s = await this.lockWritable(m, actor, req.id);
      const v = new Violations();
      const name = req.name ?? s.name;
      if (name !== s.name) requiredName(v, 'name', name, NAME_MAX);
      const cron = req.cron ?? s.cron;
      const timezone = req.timezone ?? s.timezone;
      const timingChanged = cron !== s.cron || timezone !== s.timezone;
      if (timingChanged) validateCron(v, cron, timezone, this.env.SCHEDULE_MIN_INTERVAL_SECONDS);
      v.throwIfAny();
      const enabled = req.enabled ?? s.enabled;
      // A PATCH that changes nothing writes nothing (updatedAt stays).
      if (name === s.name && !timingChanged && enabled === s.enabled) return s;
      const now = new Date();
      if (!enabled) s.nextRunAt = null;
      // (Re-)enabling or a new timing starts from now: runs missed while disabled are not made up.
      else if (!s.enabled || timingChanged) s.nextRunAt = nextRunAfter(cron, timezone, now);
      Object.assign(s, { name, enabled, cron, timezone, updatedAt: now });
      await m.save(ScheduleEntity, s);
      return s;
    });
  }

  async delete(actor: Actor, id: string): Promise<void> {
    if (!isUuid(id)) throw notFound();
    await this.db.transaction(async (m) => {
      await this.lockWritable(m, actor, id);
      await m.delete(ScheduleEntity, { id });
    });
  }

  /** Creates the schedule's task now (manual run); its cron times are unaffected. */
  async runNow(actor: Actor, id: string): Promise<TaskEntity> {
    if (!isUuid(id)) throw notFound();
    return this.db.transaction(async (m) => {
      const s = await this.lockWritable(m, actor, id);
      const now = new Date();
      const task = await this.fire(m, s, null, now);
      await m.update(ScheduleEntity, { id: s.id }, { lastRunAt: now });
      return task;
    });
  }

  /**
   * Creates the task of one run plus its events, in the caller's transaction. `scheduledFor` is
   * the cron time being served (null for a manual run).
   */
  async fire(m: EntityManager, s: ScheduleEntity, scheduledFor: Date | null, now: Date): Promise<TaskEntity> {
    const task = await this.tasks.createWith(m, s.ownerId, { ...s.taskTemplate, dueAt: null }, { scheduleId: s.id, scheduledFor });
    const fired = {
      schedule: toScheduleMessage({ ...s, lastRunAt: now }),
      task: toTaskMessage(task),
      scheduledFor: scheduledFor?.toISOString() ?? '',
      manual: scheduledFor === null,
    };
    await this.outbox.publish(m, ScheduleFiredEvent, fired, { subject: s.ownerId });
    return task;
  }

  private async lockWritable(m: EntityManager, actor: Actor, id: string): Promise<ScheduleEntity> {
    const s = await m.findOne(ScheduleEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
    if (!s || !canRead(actor, s)) throw notFound();
    if (!canWrite(actor, s)) throw new PermissionDeniedError('You may not change this schedule');
    return s;
  }
}
