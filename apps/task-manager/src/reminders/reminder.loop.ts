import { schedulerLoop } from '../common/scheduler-loop';
import { DueSoonReminder } from './due-soon-reminder.service';

/** Drives DueSoonReminder every SCHEDULER_INTERVAL_MS while SCHEDULER_ENABLED. */
export const ReminderLoop = schedulerLoop('ReminderLoop', DueSoonReminder, (reminder) => reminder.runDue());
