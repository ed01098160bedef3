import { schedulerLoop } from '../common/scheduler-loop';
import { ScheduleRunner } from './schedule-runner.service';

/** Drives ScheduleRunner every SCHEDULER_INTERVAL_MS while SCHEDULER_ENABLED. */
export const SchedulerLoop = schedulerLoop('SchedulerLoop', ScheduleRunner, (runner) => runner.runDue());
