import { Controller, Get, HttpCode, Param, PipeTransform, Post, Query, Res } from '@nestjs/common';
import { ApiConflictResponse, ApiExtraModels, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { CallOptions, Metadata } from '@grpc/grpc-js';
import type { FastifyReply } from 'fastify';
import { firstValueFrom, lastValueFrom, type Observable, toArray } from 'rxjs';
import type { dockerManagerV1 } from '@aether/contracts';
import { InjectGrpcClient, NotFoundError, ValidationError } from '@aether/service-kit';
import { RequirePermissions } from '@aether/auth';
import { CallMetadata } from '../http/call-metadata';
import { ApiAuthenticated, ApiProblems, ProblemDto } from '../http/openapi';
import { Page, PageOf, pageRequest, toPage } from '../http/pagination';
import { toContainer, toContainerDetail, toLogLine, toStats } from './container.mapping';
import {
  ContainerDetailDto,
  ContainerDto,
  ListContainersQueryDto,
  LogsDto,
  LogsQueryDto,
  MAX_JSON_LOG_LINES,
  StatsDto,
  StatsQueryDto,
  StopQueryDto,
} from './containers.dto';
import { sendEventStream, sendTextAttachment } from './event-stream';

const ContainerPage = PageOf(ContainerDto, 'ContainerPage');

/** A container reference (id, id prefix or name); anything else cannot name a container: 404, as for any other. */
const containerRefPipe: PipeTransform<string, string> = {
  transform(value: string) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$/.test(value)) throw new NotFoundError('Container not found');
    return value;
  },
};

/** Deadlines beyond the default: a stop waits for the container; a stats sample takes two engine samples. */
const within = (ms: number): CallOptions => ({ deadline: Date.now() + ms });
const STREAM: CallOptions = { deadline: Infinity };
const DEFAULT_STOP_TIMEOUT_S = 10;

/** The generated client's signatures take no CallOptions; Nest passes every argument on to grpc-js. */
type WithOptions<F> = F extends (req: infer R, md?: Metadata) => infer O ? (req: R, md: Metadata, options: CallOptions) => O : never;
const withOptions = <F>(fn: F) => fn as unknown as WithOptions<F>;

/**
 * Containers docker-manager allows (label allow-list): any other id is a 404, exactly as an
 * unknown one. Looking needs docker:read (admin, developer); acting needs docker:manage (admin),
 * and every action is audited by docker-manager.
 */
@ApiTags('containers')
@ApiExtraModels(LogsDto, StatsDto)
@ApiAuthenticated()
@ApiProblems()
@Controller('api/v1/containers')
export class ContainersController {
  constructor(@InjectGrpcClient('docker-manager') private readonly dm: dockerManagerV1.DockerManagerServiceClient) {}

  @Get()
  @RequirePermissions('docker:read')
  @ApiOperation({ summary: 'List the managed containers' })
  @ApiOkResponse({ type: ContainerPage })
  async list(@Query() q: ListContainersQueryDto, @CallMetadata() md: Metadata): Promise<Page<ContainerDto>> {
    const res = await firstValueFrom(this.dm.listContainers({ page: pageRequest(q), status: q.status ?? '', labels: q.label ?? [] }, md));
    return toPage(res, toContainer);
  }

  @Get(':id')
  @RequirePermissions('docker:read')
  @ApiOperation({ summary: 'Inspect a container (no environment or secrets)' })
  @ApiParam({ name: 'id', description: 'Id, unique id prefix or name' })
  @ApiOkResponse({ type: ContainerDetailDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  async get(@Param('id', containerRefPipe) id: string, @CallMetadata() md: Metadata): Promise<ContainerDetailDto> {
    return toContainerDetail(await firstValueFrom(this.dm.getContainer({ id }, md)));
  }

  @Post(':id/start')
  @HttpCode(200)
  @RequirePermissions('docker:manage')
  @ApiOperation({ summary: 'Start a container (already running: 200, nothing changes)' })
  @ApiOkResponse({ type: ContainerDetailDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  @ApiConflictResponse({ type: ProblemDto, description: 'The container cannot do that now (CONTAINER_CONFLICT), or not on this backend (NOT_SUPPORTED: stop on Kubernetes)' })
  async start(@Param('id', containerRefPipe) id: string, @CallMetadata() md: Metadata): Promise<ContainerDetailDto> {
    return toContainerDetail(await firstValueFrom(withOptions(this.dm.startContainer.bind(this.dm))({ id }, md, within(30_000))));
  }

  @Post(':id/stop')
  @HttpCode(200)
  @RequirePermissions('docker:manage')
  @ApiOperation({ summary: 'Stop a container (already stopped: 200, nothing changes)' })
  @ApiOkResponse({ type: ContainerDetailDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  @ApiConflictResponse({ type: ProblemDto, description: 'The container cannot do that now (CONTAINER_CONFLICT), or not on this backend (NOT_SUPPORTED: stop on Kubernetes)' })
  async stop(@Param('id', containerRefPipe) id: string, @Query() q: StopQueryDto, @CallMetadata() md: Metadata): Promise<ContainerDetailDto> {
    const deadline = within(((q.timeout ?? DEFAULT_STOP_TIMEOUT_S) + 20) * 1000);
    return toContainerDetail(await firstValueFrom(withOptions(this.dm.stopContainer.bind(this.dm))({ id, timeoutSeconds: q.timeout }, md, deadline)));
  }

  @Post(':id/restart')
  @HttpCode(200)
  @RequirePermissions('docker:manage')
  @ApiOperation({ summary: 'Restart a container (Kubernetes: a rollout restart of its Deployment)' })
  @ApiOkResponse({ type: ContainerDetailDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  @ApiConflictResponse({ type: ProblemDto, description: 'The container cannot do that now (CONTAINER_CONFLICT), or not on this backend (NOT_SUPPORTED: stop on Kubernetes)' })
  async restart(@Param('id', containerRefPipe) id: string, @Query() q: StopQueryDto, @CallMetadata() md: Metadata): Promise<ContainerDetailDto> {
    const deadline = within(((q.timeout ?? DEFAULT_STOP_TIMEOUT_S) + 30) * 1000);
    return toContainerDetail(await firstValueFrom(withOptions(this.dm.restartContainer.bind(this.dm))({ id, timeoutSeconds: q.timeout }, md, deadline)));
  }

  @Get(':id/logs')
  @RequirePermissions('docker:read')
  @ApiOperation({ summary: 'A container’s log: JSON lines, followed as server-sent events, or downloaded as text' })
  @ApiOkResponse({
    description: 'JSON by default; `follow=true`: text/event-stream of `data: {"stream","time","text"}`; `download=true`: a text/plain attachment',
    content: {
      'application/json': { schema: { $ref: getSchemaPath(LogsDto) } },
      'text/event-stream': { schema: { type: 'string' } },
      'text/plain': { schema: { type: 'string' } },
    },
  })
  @ApiNotFoundResponse({ type: ProblemDto })
  async logs(
    @Param('id', containerRefPipe) id: string,
    @Query() q: LogsQueryDto,
    @CallMetadata() md: Metadata,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (q.follow && q.download) throw validation('download', 'cannot be combined with follow');
    if (!q.follow && !q.download && q.tail !== undefined && q.tail > MAX_JSON_LOG_LINES) throw validation('tail', `must be at most ${MAX_JSON_LOG_LINES} for a JSON answer (download=true takes more)`);
    const tail = q.tail ?? (q.follow || q.download ? undefined : MAX_JSON_LOG_LINES);
    const request: dockerManagerV1.StreamLogsRequest = {
      id,
      follow: q.follow === true,
      tail,
      since: q.since ?? '',
      timestamps: q.timestamps === true,
      stdout: q.stdout,
      stderr: q.stderr,
    };
    const open = (options: CallOptions): Observable<dockerManagerV1.LogChunk> => withOptions(this.dm.streamLogs.bind(this.dm))(request, md, options);
    if (!q.follow && !q.download) {
      const chunks = await lastValueFrom(open(within(30_000)).pipe(toArray()));
      reply.send({ lines: chunks.map(toLogLine) });
      return;
    }
    // Errors (unknown container, bad query) must be answered before a streamed answer starts.
    const container = await firstValueFrom(this.dm.getContainer({ id }, md));
    if (q.download) {
      // Not followed: it ends, but a large log may take a while.
      sendTextAttachment(reply, `${container.name || 'container'}.log`, open(within(10 * 60_000)), (c) => (c.timestamp ? `${c.timestamp} ${c.text}` : c.text));
      return;
    }
    sendEventStream(reply, open(STREAM), toLogLine);
  }

  @Get(':id/stats')
  @RequirePermissions('docker:read')
  @ApiOperation({ summary: 'Resource usage of a container, once or as server-sent events every second' })
  @ApiOkResponse({
    description: 'JSON by default; `stream=true`: text/event-stream of the same objects (`data: {...}` every second)',
    content: { 'application/json': { schema: { $ref: getSchemaPath(StatsDto) } }, 'text/event-stream': { schema: { type: 'string' } } },
  })
  @ApiNotFoundResponse({ type: ProblemDto })
  async stats(@Param('id', containerRefPipe) id: string, @Query() q: StatsQueryDto, @CallMetadata() md: Metadata, @Res() reply: FastifyReply): Promise<void> {
    if (!q.stream) {
      reply.send(toStats(await firstValueFrom(withOptions(this.dm.getStats.bind(this.dm))({ id }, md, within(15_000)))));
      return;
    }
    await firstValueFrom(this.dm.getContainer({ id }, md));
    sendEventStream(reply, withOptions(this.dm.streamStats.bind(this.dm))({ id }, md, STREAM), toStats);
  }
}

function validation(field: string, message: string) {
  return new ValidationError('Invalid log query', [{ field, message }]);
}
