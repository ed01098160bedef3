import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { PeriodicJob } from '../common/periodic-job';
import { TaskManagerEnv } from '../config/task-manager.env';
import { ScheduleRunner } from './schedule-runner.service';

/** Drives ScheduleRunner every SCHEDULER_INTERVAL_MS while SCHEDULER_ENABLED. */
@Injectable()
export class SchedulerLoop implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly job: PeriodicJob;

  constructor(runner: ScheduleRunner, private readonly env: TaskManagerEnv) {
    this.job = new PeriodicJob('SchedulerLoop', env.SCHEDULER_INTERVAL_MS, () => runner.runDue());
  }

  onApplicationBootstrap(): void {
    if (this.env.SCHEDULER_ENABLED) this.job.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.job.stop();
  }
}
