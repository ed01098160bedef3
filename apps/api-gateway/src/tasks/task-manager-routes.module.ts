import { Module } from '@nestjs/common';
import { SchedulesRoutesModule } from '../schedules/schedules-routes.module';
import { TasksRoutesModule } from './tasks-routes.module';

/** Every route served by task-manager: /api/v1/tasks and /api/v1/schedules. */
@Module({ imports: [TasksRoutesModule, SchedulesRoutesModule] })
export class TaskManagerRoutesModule {}
