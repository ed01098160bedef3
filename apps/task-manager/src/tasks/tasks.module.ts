import { Module } from '@nestjs/common';
import { TasksGrpcController } from './tasks.grpc.controller';
import { TasksService } from './tasks.service';

@Module({
  controllers: [TasksGrpcController],
  providers: [TasksService],
  exports: [TasksService],
})
export class TasksModule {}
