import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { TaskPriority } from '../tasks/task.entity';

/** What a schedule creates each time it fires (validated like a create-task request). */
export interface TaskTemplate {
  title: string;
  description: string;
  priority: TaskPriority;
  labels: string[];
  assigneeId: string | null;
}

@Entity({ name: 'schedules' })
export class ScheduleEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'owner_id', type: 'uuid' }) ownerId!: string;
  @Column({ type: 'varchar', length: 200 }) name!: string;
  @Column({ type: 'varchar', length: 200 }) cron!: string;
  @Column({ type: 'varchar', length: 64 }) timezone!: string;
  @Column({ name: 'task_template', type: 'jsonb' }) taskTemplate!: TaskTemplate;
  @Column({ type: 'boolean' }) enabled!: boolean;
  /** Null while disabled. */
  @Column({ name: 'next_run_at', type: 'timestamptz', nullable: true }) nextRunAt!: Date | null;
  @Column({ name: 'last_run_at', type: 'timestamptz', nullable: true }) lastRunAt!: Date | null;
  // Filled by the database (now(), microseconds) and returned on insert: keyset order by
  // created_at then never depends on two rows sharing a JavaScript millisecond.
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' }) updatedAt!: Date;
}
