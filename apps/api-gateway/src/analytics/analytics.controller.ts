import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Metadata } from '@grpc/grpc-js';
import { firstValueFrom } from 'rxjs';
import { analyticsV1 } from '@aether/contracts';
import { InjectGrpcClient } from '@aether/service-kit';
import { RequirePermissions } from '@aether/auth';
import { CallMetadata } from '../http/call-metadata';
import { ApiAuthenticated, ApiProblems } from '../http/openapi';
import { Page, PageOf, orNull, pageRequest, toPage } from '../http/pagination';
import {
  EventsQueryDto,
  StoredEventDto,
  SummaryDto,
  SummaryQueryDto,
  TimeseriesDto,
  TimeseriesQueryDto,
} from './analytics.dto';

// int64 arrives as a decimal string (forceLong=string); REST answers numbers.
const n = (v: string | number | undefined): number => Number(v ?? 0);

export function toSummary(s: analyticsV1.Summary): SummaryDto {
  return {
    from: s.from,
    to: s.to,
    totals: { events: n(s.totals?.events) },
    byType: Object.fromEntries(Object.entries(s.byType ?? {}).map(([k, v]) => [k, n(v)])),
    tasks: { created: n(s.tasks?.created), completed: n(s.tasks?.completed), overdue: n(s.tasks?.overdue) },
    ai: {
      requests: n(s.ai?.requests),
      promptTokens: n(s.ai?.promptTokens),
      completionTokens: n(s.ai?.completionTokens),
      costUsd: s.ai?.costUsd ?? 0,
    },
  };
}

function parseData(json: string): unknown {
  try {
    return json ? (JSON.parse(json) as unknown) : null;
  } catch {
    return null;
  }
}

export const toStoredEvent = (e: analyticsV1.StoredEvent): StoredEventDto => ({
  id: e.id,
  type: e.type,
  source: e.source,
  subject: orNull(e.subject),
  userId: orNull(e.userId),
  time: e.time,
  data: parseData(e.dataJson),
});

const StoredEventPage = PageOf(StoredEventDto, 'StoredEventPage');

/**
 * Usage figures. Visibility is decided by the analytics service from the caller's token: a
 * developer sees their own activity (asking for another `userId` is 403), an admin everyone's.
 */
@ApiTags('analytics')
@ApiAuthenticated()
@ApiProblems()
@Controller('api/v1/analytics')
export class AnalyticsController {
  constructor(@InjectGrpcClient('analytics') private readonly analytics: analyticsV1.AnalyticsServiceClient) {}

  @Get('summary')
  @RequirePermissions('analytics:read')
  @ApiOperation({ summary: 'Event totals by type, tasks and AI usage over a time range' })
  @ApiOkResponse({ type: SummaryDto })
  async summary(@Query() q: SummaryQueryDto, @CallMetadata() md: Metadata): Promise<SummaryDto> {
    const res = await firstValueFrom(this.analytics.getSummary({ from: q.from ?? '', to: q.to ?? '', userId: q.userId ?? '' }, md));
    return toSummary(res);
  }

  @Get('timeseries')
  @RequirePermissions('analytics:read')
  @ApiOperation({ summary: 'Counts of one event type per minute, hour or day' })
  @ApiOkResponse({ type: TimeseriesDto })
  async timeseries(@Query() q: TimeseriesQueryDto, @CallMetadata() md: Metadata): Promise<TimeseriesDto> {
    const res = await firstValueFrom(
      this.analytics.getTimeseries(
        { type: q.type, interval: q.interval, from: q.from ?? '', to: q.to ?? '', userId: q.userId ?? '' },
        md,
      ),
    );
    return { type: res.type, interval: q.interval, points: (res.points ?? []).map((p) => ({ t: p.t, count: n(p.count) })) };
  }

  @Get('events')
  @RequirePermissions('analytics:read:all')
  @ApiOperation({ summary: 'List stored events, newest first (admin)' })
  @ApiOkResponse({ type: StoredEventPage })
  async events(@Query() q: EventsQueryDto, @CallMetadata() md: Metadata): Promise<Page<StoredEventDto>> {
    const res = await firstValueFrom(
      this.analytics.listEvents({ type: q.type ?? '', from: q.from ?? '', to: q.to ?? '', page: pageRequest(q) }, md),
    );
    return toPage(res, toStoredEvent);
  }
}
