import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Req } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { RequirePermissions } from '@aether/auth';
import { NotFoundError } from '@aether/service-kit';
import type { GatewayRequest } from '../http/call-metadata';
import { ApiAuthenticated, ApiProblems, ProblemDto } from '../http/openapi';
import { uuidPipe } from '../http/uuid-param';
import type { Route } from './route';
import { RouteStats, type RouteStatsView } from './route-stats';
import { RouteTable } from './route-table.service';
import { CreateRouteDto, MismatchListDto, RouteDto, RouteListDto, RouteSettingsDto } from './routes.dto';
import { ShadowRunner } from './shadow-runner';

/** The strangler-fig route table (admin): who serves which prefix, rollouts, shadows, live counters. */
@ApiTags('migration')
@ApiAuthenticated()
@ApiProblems()
@RequirePermissions('routes:manage')
@Controller('api/v1/admin/routes')
export class RoutesController {
  constructor(
    private readonly table: RouteTable,
    private readonly stats: RouteStats,
    private readonly shadow: ShadowRunner,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List the routes with their live counters (admin)' })
  @ApiOkResponse({ type: RouteListDto })
  async list(): Promise<RouteListDto> {
    const { version, routes } = this.table.snapshot;
    const stats = await this.stats.view(routes.map((r) => r.id));
    return { version, items: routes.map((r) => withStats(r, stats.get(r.id))) };
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Add a route (admin); in force on every gateway replica within 1 s' })
  @ApiCreatedResponse({ type: RouteDto })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'VALIDATION_FAILED: bad prefix or setting' })
  @ApiConflictResponse({ type: ProblemDto, description: 'ROUTE_EXISTS: the prefix has a route already' })
  @ApiServiceUnavailableResponse({ type: ProblemDto, description: 'UPSTREAM_UNAVAILABLE: the route database is down or routing is not configured' })
  async create(@Body() dto: CreateRouteDto, @Req() req: GatewayRequest): Promise<RouteDto> {
    const route = await this.table.create(dto, actor(req));
    return withStats(route, (await this.stats.view([route.id])).get(route.id));
  }

  @Put(':id')
  @ApiOperation({ summary: "Replace a route's settings (admin): target, rollout, shadow; in force on every replica within 1 s" })
  @ApiOkResponse({ type: RouteDto })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'VALIDATION_FAILED: the route stays as it was' })
  @ApiNotFoundResponse({ type: ProblemDto })
  @ApiServiceUnavailableResponse({ type: ProblemDto, description: 'UPSTREAM_UNAVAILABLE: the route database is down or routing is not configured' })
  async update(@Param('id', uuidPipe) id: string, @Body() dto: RouteSettingsDto, @Req() req: GatewayRequest): Promise<RouteDto> {
    const route = await this.table.update(id, dto, actor(req));
    return withStats(route, (await this.stats.view([route.id])).get(route.id));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a route (admin); its prefix falls back to the next shorter one' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ type: ProblemDto })
  @ApiServiceUnavailableResponse({ type: ProblemDto, description: 'UPSTREAM_UNAVAILABLE: the route database is down or routing is not configured' })
  async remove(@Param('id', uuidPipe) id: string, @Req() req: GatewayRequest): Promise<void> {
    await this.table.remove(id, actor(req));
  }

  @Get(':id/mismatches')
  @ApiOperation({ summary: 'The latest shadow comparisons of a route that differed (admin; credentials redacted)' })
  @ApiOkResponse({ type: MismatchListDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  async mismatches(@Param('id', uuidPipe) id: string): Promise<MismatchListDto> {
    if (!this.table.snapshot.routes.some((r) => r.id === id)) throw new NotFoundError('There is no such route');
    return { items: (await this.stats.mismatches(id)) as MismatchListDto['items'], noise: this.shadow.noiseOf(id) };
  }
}

function actor(req: GatewayRequest): string {
  // RequirePermissions ran: there is a principal.
  return req.principal!.userId;
}

const EMPTY_SIDE = { requests: 0, errors: 0, p50Ms: null, p95Ms: null };

function withStats(route: Route, stats: RouteStatsView | undefined): RouteDto {
  return {
    ...route,
    stats: stats ?? { windowSeconds: 0, legacy: EMPTY_SIDE, new: EMPTY_SIDE, shadow: { compared: 0, mismatches: 0, skipped: 0, failed: 0 } },
  };
}
