import { Module } from '@nestjs/common';
import { GrpcClientsModule } from '@aether/service-kit';
import { TasksController } from './tasks.controller';

/** /api/v1/tasks → task-manager (TASK_MANAGER_GRPC_URL). */
@Module({
  imports: [GrpcClientsModule.register(['task-manager'])],
  controllers: [TasksController],
})
export class TasksRoutesModule {}
