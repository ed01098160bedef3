import type { EntityManager } from 'typeorm';
import type { ScheduleEntity } from '../schedules/schedule.entity';
import type { TaskEntity } from '../tasks/task.entity';

/**
 * Events task-manager publishes (routing key = CloudEvents type; subject = the owner's user id).
 * `data.task` has the REST shape of a task, so consumers (analytics, integrations) need no
 * knowledge of our tables.
 */
export const TaskManagerEvents = {
  taskCreated: 'task-manager.task.created',
  taskUpdated: 'task-manager.task.updated',
  taskCompleted: 'task-manager.task.completed',
  taskDeleted: 'task-manager.task.deleted',
  taskDueSoon: 'task-manager.task.due_soon',
  scheduleFired: 'task-manager.schedule.fired',
} as const;
export type TaskManagerEventType = (typeof TaskManagerEvents)[keyof typeof TaskManagerEvents];

/** Writes an event into the transactional outbox within `manager`'s transaction. */
export abstract class EventOutbox {
  abstract publish(
    manager: EntityManager,
    type: TaskManagerEventType,
    subject: string,
    data: Record<string, unknown>,
  ): Promise<void>;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** A task as the REST API and events show it. */
export function taskJson(t: TaskEntity): Record<string, unknown> {
  return {
    id: t.id,
    title: t.title,
    description: t.description || null,
    status: t.status,
    priority: t.priority,
    labels: t.labels,
    dueAt: iso(t.dueAt),
    assigneeId: t.assigneeId,
    ownerId: t.ownerId,
    scheduleId: t.scheduleId,
    createdAt: iso(t.createdAt),
    updatedAt: iso(t.updatedAt),
    completedAt: iso(t.completedAt),
    version: t.version,
  };
}

export function scheduleJson(s: ScheduleEntity): Record<string, unknown> {
  return {
    id: s.id,
    name: s.name,
    cron: s.cron,
    timezone: s.timezone,
    task: s.taskTemplate,
    nextRunAt: iso(s.nextRunAt),
    lastRunAt: iso(s.lastRunAt),
    enabled: s.enabled,
    ownerId: s.ownerId,
  };
}
