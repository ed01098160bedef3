import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { PeriodicJob } from '../common/periodic-job';
import { TaskManagerEnv } from '../config/task-manager.env';
import { DueSoonReminder } from './due-soon-reminder.service';

/** Drives DueSoonReminder every SCHEDULER_INTERVAL_MS while SCHEDULER_ENABLED. */
@Injectable()
export class ReminderLoop implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly job: PeriodicJob;

  constructor(reminder: DueSoonReminder, private readonly env: TaskManagerEnv) {
    this.job = new PeriodicJob('ReminderLoop', env.SCHEDULER_INTERVAL_MS, () => reminder.runDue());
  }

  onApplicationBootstrap(): void {
    if (this.env.SCHEDULER_ENABLED) this.job.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.job.stop();
  }
}
