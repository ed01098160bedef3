import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type { Metadata } from '@grpc/grpc-js';
import { analyticsV1 } from '@aether/contracts';
import { hasPermissions, principalFrom, RequirePermissions } from '@aether/auth';
import { ValidationError } from '@aether/service-kit';
import { GRANULARITIES, type Granularity } from '../events/buckets';
import type { EventDoc } from '../events/event-record';
import { EventListService } from './event-list.service';
import { scopeFor, type Viewer } from './scope';
import { SummaryService } from './summary.service';
import { TimeseriesService } from './timeseries.service';
import { resolveRange } from './time-range';

const SERVICE = 'AnalyticsService';

// The proto's interval carries the REST values themselves (minute, hour, day).
const isGranularity = (v: string): v is Granularity => (GRANULARITIES as readonly string[]).includes(v);

function viewerOf(md: Metadata): Viewer {
  const p = principalFrom(md);
  return { userId: p.userId, isAdmin: hasPermissions(p, ['analytics:read:all']) };
}

function toStoredEvent(doc: EventDoc): analyticsV1.StoredEvent {
  return {
    id: doc._id,
    type: doc.type,
    source: doc.source,
    subject: doc.subject,
    userId: doc.userId,
    time: doc.time.toISOString(),
    dataJson: doc.dataJson ?? JSON.stringify(doc.data ?? null),
  };
}

/**
 * gRPC transport of the analytics queries: caller and visibility here, figures in the services.
 * Every call is authenticated by the app-wide GrpcAuthAppGuard.
 */
@Controller()
export class AnalyticsGrpcController {
  constructor(
    private readonly summaries: SummaryService,
    private readonly timeseries: TimeseriesService,
    private readonly events: EventListService,
  ) {}

  @GrpcMethod(SERVICE, 'GetSummary')
  @RequirePermissions('analytics:read')
  async getSummary(req: analyticsV1.GetSummaryRequest, md: Metadata): Promise<analyticsV1.Summary> {
    const scope = scopeFor(viewerOf(md), req.userId);
    const s = await this.summaries.summarize(resolveRange(req.from, req.to), scope);
    return {
      from: s.from.toISOString(),
      to: s.to.toISOString(),
      totals: { events: String(s.totals.events) },
      byType: Object.fromEntries(Object.entries(s.byType).map(([k, v]) => [k, String(v)])),
      tasks: { created: String(s.tasks.created), completed: String(s.tasks.completed), overdue: String(s.tasks.overdue) },
      ai: {
        requests: String(s.ai.requests),
        promptTokens: String(s.ai.promptTokens),
        completionTokens: String(s.ai.completionTokens),
        costUsd: s.ai.costUsd,
      },
    };
  }

  @GrpcMethod(SERVICE, 'GetTimeseries')
  @RequirePermissions('analytics:read')
  async getTimeseries(req: analyticsV1.GetTimeseriesRequest, md: Metadata): Promise<analyticsV1.Timeseries> {
    const scope = scopeFor(viewerOf(md), req.userId);
    const violations = [];
    if (!req.type) violations.push({ field: 'type', message: 'is required (an event type, e.g. task-manager.task.created)' });
    const g = isGranularity(req.interval) ? req.interval : undefined;
    if (!g) violations.push({ field: 'interval', message: 'must be one of minute, hour, day' });
    if (violations.length > 0 || !g) throw new ValidationError('Invalid time series request', violations);
    const points = await this.timeseries.series(req.type, g, resolveRange(req.from, req.to), scope);
    return { type: req.type, interval: g, points: points.map((p) => ({ t: p.t.toISOString(), count: String(p.count) })) };
  }

  @GrpcMethod(SERVICE, 'ListEvents')
  @RequirePermissions('analytics:read:all')
  async listEvents(req: analyticsV1.ListEventsRequest, _md: Metadata): Promise<analyticsV1.ListEventsResponse> {
    const page = await this.events.list({
      type: req.type || undefined,
      range: resolveRange(req.from, req.to),
      limit: req.page?.limit,
      cursor: req.page?.cursor || undefined,
    });
    return { items: page.items.map(toStoredEvent), nextCursor: page.nextCursor ?? '' };
  }
}
