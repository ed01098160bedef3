import { Module } from '@nestjs/common';
import { GrpcClientsModule } from '@aether/service-kit';
import { SchedulesController } from './schedules.controller';

/** /api/v1/schedules → task-manager (TASK_MANAGER_GRPC_URL). */
@Module({
  imports: [GrpcClientsModule.register(['task-manager'])],
  controllers: [SchedulesController],
})
export class SchedulesRoutesModule {}
