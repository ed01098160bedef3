import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Metadata } from '@grpc/grpc-js';
import type { FastifyRequest } from 'fastify';
import { firstValueFrom } from 'rxjs';
import type { taskManagerV1 } from '@aether/contracts';
import { InjectGrpcClient } from '@aether/service-kit';
import { RequirePermissions } from '@aether/auth';
import { CallMetadata } from '../http/call-metadata';
import { ApiAuthenticated, ApiProblems, ProblemDto } from '../http/openapi';
import { orNull, Page, PageOf, PageQueryDto, pageRequest, toPage } from '../http/pagination';
import { uuidPipe } from '../http/uuid-param';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { toTask } from '../tasks/task.mapping';
import { requireJsonBody } from '../tasks/required-body';
import { TaskDto } from '../tasks/tasks.dto';
import { CreateScheduleDto, ScheduleDto, UpdateScheduleDto } from './schedules.dto';

const SchedulePage = PageOf(ScheduleDto, 'SchedulePage');

export const toSchedule = (s: taskManagerV1.Schedule): ScheduleDto => ({
  id: s.id,
  name: s.name,
  cron: s.cron,
  timezone: s.timezone,
  task: {
    title: s.task?.title ?? '',
    description: orNull(s.task?.description),
    priority: s.task?.priority || 'medium',
    labels: s.task?.labels ?? [],
    assigneeId: orNull(s.task?.assigneeId),
  },
  nextRunAt: orNull(s.nextRunAt),
  lastRunAt: orNull(s.lastRunAt),
  enabled: s.enabled,
  ownerId: s.ownerId,
  createdAt: s.createdAt,
  updatedAt: s.updatedAt,
});

/** Recurring schedules that create tasks (cron in an IANA time zone). */
@ApiTags('schedules')
@ApiAuthenticated()
@ApiProblems()
@Controller('api/v1/schedules')
export class SchedulesController {
  constructor(@InjectGrpcClient('task-manager') private readonly tm: taskManagerV1.TaskManagerServiceClient) {}

  @Post()
  @Idempotent()
  @RequirePermissions('tasks:write')
  @ApiOperation({ summary: 'Create a cron schedule that creates a task at each due time' })
  @ApiCreatedResponse({ type: ScheduleDto })
  async create(@Body() dto: CreateScheduleDto, @CallMetadata() md: Metadata): Promise<ScheduleDto> {
    const t = dto.task;
    const s = await firstValueFrom(
      this.tm.createSchedule(
        {
          name: dto.name,
          cron: dto.cron,
          timezone: dto.timezone ?? '',
          task: {
            title: t.title,
            description: t.description ?? '',
            priority: t.priority ?? '',
            labels: t.labels ?? [],
            assigneeId: t.assigneeId ?? '',
          },
        },
        md,
      ),
    );
    return toSchedule(s);
  }

  @Get()
  @RequirePermissions('tasks:read')
  @ApiOperation({ summary: 'List schedules' })
  @ApiOkResponse({ type: SchedulePage })
  async list(@Query() q: PageQueryDto, @CallMetadata() md: Metadata): Promise<Page<ScheduleDto>> {
    return toPage(await firstValueFrom(this.tm.listSchedules({ page: pageRequest(q) }, md)), toSchedule);
  }

  @Get(':id')
  @RequirePermissions('tasks:read')
  @ApiOperation({ summary: 'Get a schedule' })
  @ApiOkResponse({ type: ScheduleDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  async get(@Param('id', uuidPipe) id: string, @CallMetadata() md: Metadata): Promise<ScheduleDto> {
    return toSchedule(await firstValueFrom(this.tm.getSchedule({ id }, md)));
  }

  @Patch(':id')
  @RequirePermissions('tasks:write')
  @ApiOperation({ summary: 'Enable or disable a schedule' })
  @ApiOkResponse({ type: ScheduleDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  async update(
    @Param('id', uuidPipe) id: string,
    @Body() dto: UpdateScheduleDto,
    @Req() req: FastifyRequest,
    @CallMetadata() md: Metadata,
  ): Promise<ScheduleDto> {
    requireJsonBody(req.body);
    const s = await firstValueFrom(
      this.tm.updateSchedule({ id, enabled: dto.enabled, name: dto.name, cron: dto.cron, timezone: dto.timezone }, md),
    );
    return toSchedule(s);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermissions('tasks:write')
  @ApiOperation({ summary: 'Delete a schedule' })
  @ApiNoContentResponse({ description: 'Deleted; tasks it created stay' })
  @ApiNotFoundResponse({ type: ProblemDto })
  async remove(@Param('id', uuidPipe) id: string, @CallMetadata() md: Metadata): Promise<void> {
    await firstValueFrom(this.tm.deleteSchedule({ id }, md));
  }

  @Post(':id/run')
  @Idempotent()
  @RequirePermissions('tasks:write')
  @ApiOperation({ summary: "Run a schedule now: create its task at once" })
  @ApiCreatedResponse({ type: TaskDto, description: 'The task the schedule created now' })
  @ApiNotFoundResponse({ type: ProblemDto })
  async run(@Param('id', uuidPipe) id: string, @CallMetadata() md: Metadata): Promise<TaskDto> {
    return toTask(await firstValueFrom(this.tm.runSchedule({ id }, md)));
  }
}
