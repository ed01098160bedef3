import { AmqpReadiness } from '@aether/messaging';
import { defineService, TypeOrmReadiness } from '@aether/service-kit';
import { TaskManagerEnv } from './config/task-manager.env';
import { TaskManagerModule } from './task-manager.module';

/** The task-manager service: tasks, cron schedules, due-soon reminders (gRPC). */
export const taskManagerService = defineService({
  name: 'task-manager',
  env: TaskManagerEnv,
  module: TaskManagerModule,
  grpc: true,
  readiness: [TypeOrmReadiness, AmqpReadiness],
});
