import { TaskDueSoonEvent } from '@aether/contracts';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TaskManagerEnv } from '../config/task-manager.env';
import { EventOutbox } from '../events/task-manager-events';
import { OPEN_STATUSES, TASK_COLUMNS, taskFromRow } from '../tasks/task.entity';
import { toTaskMessage } from '../tasks/task.mapper';

/**
 * One `task-manager.task.due_soon` event per open task whose dueAt comes within the reminder
 * window. Marking reminded_at and writing the event share a transaction, and rows are claimed
 * with SKIP LOCKED, so replicas split the work and no task is reminded twice. Changing a task's
 * dueAt clears reminded_at (TasksService), which re-arms the reminder. Tasks already overdue
 * are not "due soon" and get none.
 */
@Injectable()
export class DueSoonReminder {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: EventOutbox,
    private readonly env: TaskManagerEnv,
  ) {}

  /** Sends every reminder that is due now; returns how many. */
  async runDue(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.batch();
      total += n;
      if (n < this.env.REMINDER_BATCH_SIZE) return total;
    }
  }

  private batch(): Promise<number> {
    return this.db.transaction(async (m) => {
      const now = new Date();
      const until = new Date(now.getTime() + this.env.TASK_REMINDER_WINDOW_SECONDS * 1000);
      const [rows]: [Record<string, unknown>[], number] = await m.query(
        `WITH due AS (
           SELECT id FROM tasks
            WHERE reminded_at IS NULL AND due_at IS NOT NULL AND status = ANY($4::text[])
              AND due_at > $1 AND due_at <= $2
            ORDER BY due_at
            LIMIT $3
            FOR UPDATE SKIP LOCKED)
         UPDATE tasks t SET reminded_at = $1 FROM due WHERE t.id = due.id
         RETURNING ${TASK_COLUMNS.split(', ').map((c) => `t.${c}`).join(', ')}`,
        [now, until, this.env.REMINDER_BATCH_SIZE, OPEN_STATUSES],
      );
      for (const task of rows.map(taskFromRow)) {
        const dueInSeconds = Math.max(0, Math.round(((task.dueAt as Date).getTime() - now.getTime()) / 1000));
        await this.outbox.publish(m, TaskDueSoonEvent, { task: toTaskMessage(task), dueInSeconds }, { subject: task.ownerId });
      }
      return rows.length;
    });
  }
}
