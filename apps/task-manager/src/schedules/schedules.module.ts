import { Module } from '@nestjs/common';
import { TasksModule } from '../tasks/tasks.module';
import { ScheduleRunner } from './schedule-runner.service';
import { SchedulerLoop } from './scheduler.loop';
import { SchedulesGrpcController } from './schedules.grpc.controller';
import { SchedulesService } from './schedules.service';

@Module({
  imports: [TasksModule],
  controllers: [SchedulesGrpcController],
  providers: [SchedulesService, ScheduleRunner, SchedulerLoop],
  exports: [SchedulesService, ScheduleRunner],
})
export class SchedulesModule {}
