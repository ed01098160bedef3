import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type { Metadata } from '@grpc/grpc-js';
import type { taskManagerV1 } from '@aether/contracts';
import { principalFrom, RequirePermissions } from '@aether/auth';
import { actorOf } from '../common/actor';
import { toTaskMessage } from './task.mapper';
import { TasksService } from './tasks.service';

const SERVICE = 'TaskManagerService';

/** gRPC transport of tasks: caller from the verified token, everything else in TasksService. */
@Controller()
export class TasksGrpcController {
  constructor(private readonly tasks: TasksService) {}

  @GrpcMethod(SERVICE, 'CreateTask')
  @RequirePermissions('tasks:write')
  async createTask(req: taskManagerV1.CreateTaskRequest, md: Metadata): Promise<taskManagerV1.Task> {
    return toTaskMessage(await this.tasks.create(actorOf(principalFrom(md)), req));
  }

  @GrpcMethod(SERVICE, 'GetTask')
  @RequirePermissions('tasks:read')
  async getTask(req: taskManagerV1.GetTaskRequest, md: Metadata): Promise<taskManagerV1.Task> {
    return toTaskMessage(await this.tasks.get(actorOf(principalFrom(md)), req.id));
  }

  @GrpcMethod(SERVICE, 'ListTasks')
  @RequirePermissions('tasks:read')
  async listTasks(req: taskManagerV1.ListTasksRequest, md: Metadata): Promise<taskManagerV1.ListTasksResponse> {
    const page = await this.tasks.list(actorOf(principalFrom(md)), req);
    return { items: page.items.map(toTaskMessage), nextCursor: page.nextCursor };
  }

  @GrpcMethod(SERVICE, 'UpdateTask')
  @RequirePermissions('tasks:write')
  async updateTask(req: taskManagerV1.UpdateTaskRequest, md: Metadata): Promise<taskManagerV1.Task> {
    return toTaskMessage(await this.tasks.update(actorOf(principalFrom(md)), req));
  }

  @GrpcMethod(SERVICE, 'DeleteTask')
  @RequirePermissions('tasks:write')
  async deleteTask(req: taskManagerV1.DeleteTaskRequest, md: Metadata): Promise<taskManagerV1.DeleteTaskResponse> {
    await this.tasks.delete(actorOf(principalFrom(md)), req.id);
    return {};
  }
}
