import { Module } from '@nestjs/common';
import { AuthModule } from '@aether/auth';
import { DatabaseModule } from './database/database.module';
import { EventsModule } from './events/events.module';
import { RemindersModule } from './reminders/reminders.module';
import { SchedulesModule } from './schedules/schedules.module';
import { TasksModule } from './tasks/tasks.module';

/** Everything task-manager runs; the kit adds itself around it (see service.ts). */
@Module({
  imports: [AuthModule.forRoot(), DatabaseModule, EventsModule, TasksModule, SchedulesModule, RemindersModule],
})
export class TaskManagerModule {}
