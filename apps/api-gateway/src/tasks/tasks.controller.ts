import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPreconditionFailedResponse,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Metadata } from '@grpc/grpc-js';
import type { FastifyReply } from 'fastify';
import { firstValueFrom } from 'rxjs';
import type { taskManagerV1 } from '@aether/contracts';
import { InjectGrpcClient } from '@aether/service-kit';
import { RequirePermissions } from '@aether/auth';
import { CallMetadata } from '../http/call-metadata';
import { ApiAuthenticated, ApiProblems, ProblemDto } from '../http/openapi';
import { Page, PageOf, pageRequest, toPage } from '../http/pagination';
import { uuidPipe } from '../http/uuid-param';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { etagOf, expectedVersion, ifNoneMatchHits } from './etag';
import { requireJsonBody } from './required-body';
import { toTask } from './task.mapping';
import { CreateTaskDto, ListTasksQueryDto, TaskDto, UpdateTaskDto } from './tasks.dto';

const TaskPage = PageOf(TaskDto, 'TaskPage');

/** `undefined` → not sent; `null` → "" (the proto's "clear this field"). */
const clearable = (v: string | null | undefined): string | undefined => (v === undefined ? undefined : (v ?? ''));

/**
 * Tasks the caller owns or is assigned (admins: all). task-manager decides visibility from the
 * forwarded token; someone else's task is a 404 there, so it is one here.
 */
@ApiTags('tasks')
@ApiAuthenticated()
@ApiProblems()
@Controller('api/v1/tasks')
export class TasksController {
  constructor(@InjectGrpcClient('task-manager') private readonly tm: taskManagerV1.TaskManagerServiceClient) {}

  @Post()
  @Idempotent()
  @RequirePermissions('tasks:write')
  @ApiOperation({ summary: 'Create a task' })
  @ApiCreatedResponse({ type: TaskDto })
  async create(@Body() dto: CreateTaskDto, @CallMetadata() md: Metadata): Promise<TaskDto> {
    const task = await firstValueFrom(
      this.tm.createTask(
        {
          title: dto.title,
          description: dto.description ?? '',
          priority: dto.priority ?? '',
          labels: dto.labels ?? [],
          dueAt: dto.dueAt ?? '',
          assigneeId: dto.assigneeId ?? '',
        },
        md,
      ),
    );
    return toTask(task);
  }

  @Get()
  @RequirePermissions('tasks:read')
  @ApiOperation({ summary: 'List tasks with filters, sorted, one page at a time' })
  @ApiOkResponse({ type: TaskPage })
  async list(@Query() q: ListTasksQueryDto, @CallMetadata() md: Metadata): Promise<Page<TaskDto>> {
    const res = await firstValueFrom(
      this.tm.listTasks(
        {
          page: pageRequest(q),
          status: q.status ?? [],
          priority: q.priority ?? [],
          labels: q.label ?? [],
          assigneeId: q.assigneeId ?? '',
          q: q.q ?? '',
          dueBefore: q.dueBefore ?? '',
          dueAfter: q.dueAfter ?? '',
          sort: q.sort ?? '',
        },
        md,
      ),
    );
    return toPage(res, toTask);
  }

  @Get(':id')
  @RequirePermissions('tasks:read')
  @ApiOperation({ summary: 'Get a task' })
  @ApiHeader({ name: 'If-None-Match', required: false, description: 'The ETag you hold; 304 with no body when the task has not changed' })
  @ApiOkResponse({ type: TaskDto, headers: { ETag: { description: 'The task version, for If-Match', schema: { type: 'string' } } } })
  @ApiResponse({ status: 304, description: 'Not modified: If-None-Match matches the current ETag' })
  @ApiNotFoundResponse({ type: ProblemDto })
  async get(
    @Param('id', uuidPipe) id: string,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @CallMetadata() md: Metadata,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TaskDto | undefined> {
    const task = await firstValueFrom(this.tm.getTask({ id }, md));
    const etag = etagOf(task.version);
    reply.header('etag', etag);
    if (ifNoneMatchHits(ifNoneMatch, etag)) {
      reply.status(304);
      return undefined;
    }
    return toTask(task);
  }

  @Patch(':id')
  @RequirePermissions('tasks:write')
  @ApiOperation({ summary: 'Change some fields of a task' })
  @ApiHeader({ name: 'If-Match', required: false, description: 'The ETag (version) you last saw; 412 VERSION_CONFLICT when the task changed since' })
  @ApiOkResponse({ type: TaskDto, headers: { ETag: { description: 'The new version', schema: { type: 'string' } } } })
  @ApiNotFoundResponse({ type: ProblemDto })
  @ApiPreconditionFailedResponse({ type: ProblemDto, description: 'VERSION_CONFLICT: If-Match is stale' })
  async update(
    @Param('id', uuidPipe) id: string,
    @Body() dto: UpdateTaskDto,
    @Headers('if-match') ifMatch: string | undefined,
    @CallMetadata() md: Metadata,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TaskDto> {
    requireJsonBody(reply.request.body);
    const task = await firstValueFrom(
      this.tm.updateTask(
        {
          id,
          expectedVersion: expectedVersion(ifMatch),
          title: dto.title,
          description: clearable(dto.description),
          status: dto.status,
          priority: dto.priority,
          dueAt: clearable(dto.dueAt),
          assigneeId: clearable(dto.assigneeId),
          labels: dto.labels === undefined ? undefined : { values: dto.labels },
        },
        md,
      ),
    );
    reply.header('etag', etagOf(task.version));
    return toTask(task);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermissions('tasks:write')
  @ApiOperation({ summary: 'Delete a task' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ type: ProblemDto })
  async remove(@Param('id', uuidPipe) id: string, @CallMetadata() md: Metadata): Promise<void> {
    await firstValueFrom(this.tm.deleteTask({ id }, md));
  }
}
