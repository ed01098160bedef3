import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type { Metadata } from '@grpc/grpc-js';
import type { taskManagerV1 } from '@aether/contracts';
import { principalFrom, RequirePermissions } from '@aether/auth';
import { actorOf } from '../common/actor';
import { toTaskMessage } from '../tasks/task.mapper';
import { toScheduleMessage } from './schedule.mapper';
import { SchedulesService } from './schedules.service';

const SERVICE = 'TaskManagerService';

/** gRPC transport of schedules (thin: caller from the verified token, logic in SchedulesService). */
@Controller()
export class SchedulesGrpcController {
  constructor(private readonly schedules: SchedulesService) {}

  @GrpcMethod(SERVICE, 'CreateSchedule')
  @RequirePermissions('tasks:write')
  async createSchedule(req: taskManagerV1.CreateScheduleRequest, md: Metadata): Promise<taskManagerV1.Schedule> {
    return toScheduleMessage(await this.schedules.create(actorOf(principalFrom(md)), req));
  }

  @GrpcMethod(SERVICE, 'ListSchedules')
  @RequirePermissions('tasks:read')
  async listSchedules(req: taskManagerV1.ListSchedulesRequest, md: Metadata): Promise<taskManagerV1.ListSchedulesResponse> {
    const page = await this.schedules.list(actorOf(principalFrom(md)), req);
    return { items: page.items.map(toScheduleMessage), nextCursor: page.nextCursor };
  }

  @GrpcMethod(SERVICE, 'GetSchedule')
  @RequirePermissions('tasks:read')
  async getSchedule(req: taskManagerV1.GetScheduleRequest, md: Metadata): Promise<taskManagerV1.Schedule> {
    return toScheduleMessage(await this.schedules.get(actorOf(principalFrom(md)), req.id));
  }

  @GrpcMethod(SERVICE, 'UpdateSchedule')
  @RequirePermissions('tasks:write')
  async updateSchedule(req: taskManagerV1.UpdateScheduleRequest, md: Metadata): Promise<taskManagerV1.Schedule> {
    return toScheduleMessage(await this.schedules.update(actorOf(principalFrom(md)), req));
  }

  @GrpcMethod(SERVICE, 'DeleteSchedule')
  @RequirePermissions('tasks:write')
  async deleteSchedule(req: taskManagerV1.DeleteScheduleRequest, md: Metadata): Promise<taskManagerV1.DeleteScheduleResponse> {
    await this.schedules.delete(actorOf(principalFrom(md)), req.id);
    return {};
  }

  @GrpcMethod(SERVICE, 'RunSchedule')
  @RequirePermissions('tasks:write')
  async runSchedule(req: taskManagerV1.RunScheduleRequest, md: Metadata): Promise<taskManagerV1.Task> {
    return toTaskMessage(await this.schedules.runNow(actorOf(principalFrom(md)), req.id));
  }
}
