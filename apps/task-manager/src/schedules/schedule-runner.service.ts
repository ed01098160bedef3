import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TaskManagerEnv } from '../config/task-manager.env';
import { nextRunAfter } from './cron';
import { ScheduleEntity } from './schedule.entity';
import { SchedulesService } from './schedules.service';

export interface RunResult {
  fired: number;
  failed: number;
}

/**
 * Fires due schedules. Safe with any number of replicas running it at once:
 *
 * - each schedule is claimed with `FOR UPDATE SKIP LOCKED` in its own transaction, so two
 *   replicas never work on the same row, and one slow or failing schedule holds up no other;
 * - in that transaction the task is created, the outbox events are written and next_run_at
 *   moves to the first cron time AFTER now — so the claim condition (`next_run_at <= now`)
 *   is false for everyone once it commits (a replica that blocked on nothing re-checks the row
 *   after commit under READ COMMITTED and skips it), and after downtime a schedule catches up
 *   once rather than once per missed tick;
 * - the unique (schedule_id, scheduled_for) index makes a double run impossible even if all of
 *   the above were bypassed.
 */
@Injectable()
export class ScheduleRunner {
  private readonly logger = new Logger(ScheduleRunner.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly schedules: SchedulesService,
    private readonly env: TaskManagerEnv,
  ) {}

  async runDue(): Promise<RunResult> {
    const result: RunResult = { fired: 0, failed: 0 };
    const failedIds: string[] = [];
    while (result.fired + result.failed < this.env.SCHEDULER_BATCH_SIZE) {
      try {
        const id = await this.claimAndFire(failedIds);
        if (!id) break;
        result.fired += 1;
      } catch (err) {
        const id = (err as { scheduleId?: string }).scheduleId;
        result.failed += 1;
        this.logger.error({ err, scheduleId: id }, 'schedule run failed; retried on the next pass');
        if (!id) break; // the claim itself failed (database down): stop this pass
        failedIds.push(id);
      }
    }
    return result;
  }

  /** One schedule, one transaction. Returns the fired schedule's id, or undefined when none is due. */
  private async claimAndFire(skip: string[]): Promise<string | undefined> {
    return this.db.transaction(async (m) => {
      const now = new Date();
      const rows: { id: string }[] = await m.query(
        `SELECT id FROM schedules
          WHERE enabled AND next_run_at <= $1 AND NOT (id = ANY($2::uuid[]))
          ORDER BY next_run_at
          LIMIT 1
          FOR UPDATE SKIP LOCKED`,
        [now, skip],
      );
      if (rows.length === 0) return undefined;
      const id = rows[0].id;
      try {
        const s = await m.findOneByOrFail(ScheduleEntity, { id });
        const dueAt = s.nextRunAt as Date;
        await this.schedules.fire(m, s, dueAt, now);
        await m.update(ScheduleEntity, { id }, { lastRunAt: now, nextRunAt: nextRunAfter(s.cron, s.timezone, now) });
        return id;
      } catch (err) {
        throw Object.assign(err instanceof Error ? err : new Error(String(err)), { scheduleId: id });
      }
    });
  }
}
