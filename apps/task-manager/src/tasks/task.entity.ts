import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export const TASK_STATUSES = ['todo', 'in_progress', 'done', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const TASK_PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const;
export type TaskPriority = (typeof TASK_PRIORITIES)[number];
/** Statuses that still get due-soon reminders. */
export const OPEN_STATUSES: readonly TaskStatus[] = ['todo', 'in_progress'];

/**
 * A task. Generated columns of the table (priority_rank, due_sort, search) are not mapped: they
 * exist for indexes and are maintained by PostgreSQL.
 */
@Entity({ name: 'tasks' })
export class TaskEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'owner_id', type: 'uuid' }) ownerId!: string;
  @Column({ type: 'varchar', length: 200 }) title!: string;
  @Column({ type: 'text', default: '' }) description!: string;
  @Column({ type: 'varchar', length: 16 }) status!: TaskStatus;
  @Column({ type: 'varchar', length: 8 }) priority!: TaskPriority;
  @Column({ type: 'text', array: true, default: () => `'{}'` }) labels!: string[];
  @Column({ name: 'due_at', type: 'timestamptz', nullable: true }) dueAt!: Date | null;
  @Column({ name: 'assignee_id', type: 'uuid', nullable: true }) assigneeId!: string | null;
  @Column({ name: 'schedule_id', type: 'uuid', nullable: true }) scheduleId!: string | null;
  @Column({ name: 'scheduled_for', type: 'timestamptz', nullable: true }) scheduledFor!: Date | null;
  @Column({ name: 'reminded_at', type: 'timestamptz', nullable: true }) remindedAt!: Date | null;
  @Column({ type: 'integer' }) version!: number;
  // Filled by the database (now(), microseconds) and returned on insert: keyset order by
  // created_at then never depends on two rows sharing a JavaScript millisecond.
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' }) updatedAt!: Date;
  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true }) completedAt!: Date | null;
}

/** Columns of `tasks` as raw SQL selects them (for the list query, which TypeORM cannot build). */
export const TASK_COLUMNS =
  'id, owner_id, title, description, status, priority, labels, due_at, assignee_id, schedule_id, scheduled_for, reminded_at, version, created_at, updated_at, completed_at';

/** A raw `tasks` row (node-postgres types) → entity. */
export function taskFromRow(row: Record<string, unknown>): TaskEntity {
  return Object.assign(new TaskEntity(), {
    id: row.id,
    ownerId: row.owner_id,
    title: row.title,
    description: row.description,
    status: row.status,
    priority: row.priority,
    labels: row.labels ?? [],
    dueAt: row.due_at ?? null,
    assigneeId: row.assignee_id ?? null,
    scheduleId: row.schedule_id ?? null,
    scheduledFor: row.scheduled_for ?? null,
    remindedAt: row.reminded_at ?? null,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    completedAt: row.completed_at ?? null,
  });
}
