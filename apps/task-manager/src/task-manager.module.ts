import { Module } from '@nestjs/common';
import { AuthModule, GrpcAuthAppGuard } from '@aether/auth';
import { DatabaseModule } from './database/database.module';
import { EventsModule } from './events/events.module';
import { RemindersModule } from './reminders/reminders.module';
import { SchedulesModule } from './schedules/schedules.module';
import { TasksModule } from './tasks/tasks.module';

/**
 * Everything task-manager runs, except the kit (AppModule adds ServiceKitModule with the env
 * from process.env; tests add it with their own env values).
 */
@Module({
  imports: [AuthModule.forRoot(), DatabaseModule, EventsModule, TasksModule, SchedulesModule, RemindersModule],
  providers: [GrpcAuthAppGuard],
})
export class TaskManagerModule {}
