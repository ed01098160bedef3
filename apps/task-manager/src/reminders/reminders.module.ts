import { Module } from '@nestjs/common';
import { DueSoonReminder } from './due-soon-reminder.service';
import { ReminderLoop } from './reminder.loop';

@Module({
  providers: [DueSoonReminder, ReminderLoop],
  exports: [DueSoonReminder],
})
export class RemindersModule {}
