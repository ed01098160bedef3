import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Metadata } from '@grpc/grpc-js';
import type { FastifyReply } from 'fastify';
import { firstValueFrom } from 'rxjs';
import type { integrationHubV1 } from '@aether/contracts';
import { RequirePermissions } from '@aether/auth';
import { InjectGrpcClient } from '@aether/service-kit';
import { CallMetadata } from '../http/call-metadata';
import { ApiAuthenticated, ApiProblems, ProblemDto } from '../http/openapi';
import { Page, PageOf, PageQueryDto, pageRequest, toPage } from '../http/pagination';
import { uuidPipe } from '../http/uuid-param';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { requireJsonBody } from '../tasks/required-body';
import { actionParamsJson, toConnection, toDelivery, toDeliveryDetail, toRule } from './integration.mapping';
import {
  ConnectionDto,
  CreateConnectionDto,
  CreateRuleDto,
  DeliveryDetailDto,
  DeliveryDto,
  ListConnectionsQueryDto,
  ListDeliveriesQueryDto,
  ReplayDeliveriesDto,
  ReplayedDto,
  RuleDto,
  UpdateConnectionDto,
  UpdateRuleDto,
} from './integrations.dto';

const ConnectionPage = PageOf(ConnectionDto, 'ConnectionPage');
const RulePage = PageOf(RuleDto, 'RulePage');
const DeliveryPage = PageOf(DeliveryDto, 'DeliveryPage');

type HubClient = integrationHubV1.IntegrationHubServiceClient;

/** Connections (secrets write-only): /api/v1/integrations → integration-hub. */
@ApiTags('integrations')
@ApiAuthenticated()
@ApiProblems()
@Controller('api/v1/integrations')
export class ConnectionsController {
  constructor(@InjectGrpcClient('integration-hub') private readonly hub: HubClient) {}

  @Post()
  @Idempotent()
  @RequirePermissions('integrations:manage')
  @ApiOperation({ summary: 'Connect GitHub, Slack, Discord or an outbound webhook' })
  @ApiCreatedResponse({ type: ConnectionDto })
  async create(@Body() dto: CreateConnectionDto, @CallMetadata() md: Metadata): Promise<ConnectionDto> {
    const c = await firstValueFrom(this.hub.createConnection({ kind: dto.kind, name: dto.name, configJson: JSON.stringify(dto.config ?? {}), secrets: dto.secrets ?? {} }, md));
    return toConnection(c);
  }

  @Get()
  @RequirePermissions('integrations:manage')
  @ApiOperation({ summary: 'List connections, newest first' })
  @ApiOkResponse({ type: ConnectionPage })
  async list(@Query() q: ListConnectionsQueryDto, @CallMetadata() md: Metadata): Promise<Page<ConnectionDto>> {
    return toPage(await firstValueFrom(this.hub.listConnections({ page: pageRequest(q), kind: q.kind ?? '' }, md)), toConnection);
  }

  @Get(':id')
  @RequirePermissions('integrations:manage')
  @ApiOperation({ summary: 'Get a connection (secret names only)' })
  @ApiOkResponse({ type: ConnectionDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  async get(@Param('id', uuidPipe) id: string, @CallMetadata() md: Metadata): Promise<ConnectionDto> {
    return toConnection(await firstValueFrom(this.hub.getConnection({ id }, md)));
  }

  @Patch(':id')
  @RequirePermissions('integrations:manage')
  @ApiOperation({ summary: 'Rename a connection, replace its settings, set or remove secrets' })
  @ApiOkResponse({ type: ConnectionDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  async update(@Param('id', uuidPipe) id: string, @Body() dto: UpdateConnectionDto, @CallMetadata() md: Metadata, @Res({ passthrough: true }) reply: FastifyReply): Promise<ConnectionDto> {
    requireJsonBody(reply.request.body);
    const c = await firstValueFrom(
      this.hub.updateConnection({ id, name: dto.name ?? '', configJson: dto.config ? JSON.stringify(dto.config) : '', secrets: dto.secrets ?? {} }, md),
    );
    return toConnection(c);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermissions('integrations:manage')
  @ApiOperation({ summary: 'Delete a connection (its webhooks stop being accepted)' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ type: ProblemDto })
  async remove(@Param('id', uuidPipe) id: string, @CallMetadata() md: Metadata): Promise<void> {
    await firstValueFrom(this.hub.deleteConnection({ id }, md));
  }
}

/** Rules: /api/v1/integrations/rules. */
@ApiTags('integrations')
@ApiAuthenticated()
@ApiProblems()
@Controller('api/v1/integrations/rules')
export class RulesController {
  constructor(@InjectGrpcClient('integration-hub') private readonly hub: HubClient) {}

  @Post()
  @Idempotent()
  @RequirePermissions('integrations:manage')
  @ApiOperation({ summary: 'Create a rule: events matching a pattern (and filter) trigger an action' })
  @ApiCreatedResponse({ type: RuleDto })
  async create(@Body() dto: CreateRuleDto, @CallMetadata() md: Metadata): Promise<RuleDto> {
    const r = await firstValueFrom(
      this.hub.createRule(
        {
          name: dto.name,
          on: dto.on,
          filterJson: dto.filter && Object.keys(dto.filter).length ? JSON.stringify(dto.filter) : '',
          action: { kind: dto.action.kind, connectionId: dto.action.connectionId, paramsJson: actionParamsJson(dto.action) },
          enabled: dto.enabled,
        },
        md,
      ),
    );
    return toRule(r);
  }

  @Get()
  @RequirePermissions('integrations:manage')
  @ApiOperation({ summary: 'List rules, newest first' })
  @ApiOkResponse({ type: RulePage })
  async list(@Query() q: PageQueryDto, @CallMetadata() md: Metadata): Promise<Page<RuleDto>> {
    return toPage(await firstValueFrom(this.hub.listRules({ page: pageRequest(q) }, md)), toRule);
  }

  @Get(':id')
  @RequirePermissions('integrations:manage')
  @ApiOperation({ summary: 'Get a rule' })
  @ApiOkResponse({ type: RuleDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  async get(@Param('id', uuidPipe) id: string, @CallMetadata() md: Metadata): Promise<RuleDto> {
    return toRule(await firstValueFrom(this.hub.getRule({ id }, md)));
  }

  @Patch(':id')
  @RequirePermissions('integrations:manage')
  @ApiOperation({ summary: 'Change a rule (the action is replaced as a whole)' })
  @ApiOkResponse({ type: RuleDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  async update(@Param('id', uuidPipe) id: string, @Body() dto: UpdateRuleDto, @CallMetadata() md: Metadata, @Res({ passthrough: true }) reply: FastifyReply): Promise<RuleDto> {
    requireJsonBody(reply.request.body);
    const r = await firstValueFrom(
      this.hub.updateRule(
        {
          id,
          name: dto.name ?? '',
          on: dto.on ?? '',
          filterJson: dto.filter === undefined ? undefined : dto.filter === null ? '' : JSON.stringify(dto.filter),
          action: dto.action ? { kind: dto.action.kind, connectionId: dto.action.connectionId, paramsJson: actionParamsJson(dto.action) } : undefined,
          enabled: dto.enabled,
        },
        md,
      ),
    );
    return toRule(r);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermissions('integrations:manage')
  @ApiOperation({ summary: 'Delete a rule (its deliveries stay in the log)' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ type: ProblemDto })
  async remove(@Param('id', uuidPipe) id: string, @CallMetadata() md: Metadata): Promise<void> {
    await firstValueFrom(this.hub.deleteRule({ id }, md));
  }
}

/** The delivery log and replays: /api/v1/integrations/deliveries. */
@ApiTags('integrations')
@ApiAuthenticated()
@ApiProblems()
@Controller('api/v1/integrations/deliveries')
export class DeliveriesController {
  constructor(@InjectGrpcClient('integration-hub') private readonly hub: HubClient) {}

  @Get()
  @RequirePermissions('integrations:manage')
  @ApiOperation({ summary: 'The delivery log, newest first' })
  @ApiOkResponse({ type: DeliveryPage })
  async list(@Query() q: ListDeliveriesQueryDto, @CallMetadata() md: Metadata): Promise<Page<DeliveryDto>> {
    const res = await firstValueFrom(
      this.hub.listDeliveries({ page: pageRequest(q), status: q.status ?? '', ruleId: q.ruleId ?? '', connectionId: q.connectionId ?? '' }, md),
    );
    return toPage(res, toDelivery);
  }

  @Post('replay')
  @HttpCode(202)
  @RequirePermissions('integrations:manage')
  @ApiOperation({ summary: 'Replay every delivery matching a filter (default: the dead ones)' })
  @ApiAcceptedResponse({ type: ReplayedDto })
  async replayMany(@Body() body: ReplayDeliveriesDto | undefined, @CallMetadata() md: Metadata): Promise<ReplayedDto> {
    const dto = body ?? {};
    const res = await firstValueFrom(
      this.hub.replayDeliveries({ status: dto.status ?? '', ruleId: dto.ruleId ?? '', connectionId: dto.connectionId ?? '', from: dto.from ?? '', to: dto.to ?? '' }, md),
    );
    return { replayed: res.replayed };
  }

  @Get(':id')
  @RequirePermissions('integrations:manage')
  @ApiOperation({ summary: 'Get a delivery with every attempt' })
  @ApiOkResponse({ type: DeliveryDetailDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  async get(@Param('id', uuidPipe) id: string, @CallMetadata() md: Metadata): Promise<DeliveryDetailDto> {
    return toDeliveryDetail(await firstValueFrom(this.hub.getDelivery({ id }, md)));
  }

  @Post(':id/replay')
  @HttpCode(202)
  @RequirePermissions('integrations:manage')
  @ApiOperation({ summary: 'Send one delivery again with a fresh attempt budget (also a delivered one)' })
  @ApiAcceptedResponse({ type: DeliveryDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  async replay(@Param('id', uuidPipe) id: string, @CallMetadata() md: Metadata): Promise<DeliveryDto> {
    return toDelivery(await firstValueFrom(this.hub.replayDelivery({ id }, md)));
  }
}
