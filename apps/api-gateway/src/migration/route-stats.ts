import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import type { Counter, Histogram } from 'prom-client';
import { MetricsService, REDIS_CLIENT } from '@aether/service-kit';
import { GatewayEnv } from '../config/gateway.env';
import type { Side } from './route';

/** Counters are shown over this sliding window (minutes, Redis buckets of one minute). */
export const STATS_WINDOW_MINUTES = 5;
/** How often a replica adds its counts to the shared Redis buckets. */
export const STATS_FLUSH_MS = 1000;
const BUCKET_TTL_SECONDS = (STATS_WINDOW_MINUTES + 5) * 60;
const MAX_SAMPLES = 20;
const SAMPLES_TTL_SECONDS = 7 * 86_400;

/** Log-scale latency buckets (ms): 0.25 · 1.25^i, i < 72 (up to ~2 h); shared by every replica. */
const LATENCY_BASE_MS = 0.25;
const LATENCY_GROWTH = 1.25;
const LATENCY_BUCKETS = 72;
function latencyBucket(ms: number): number {
  if (ms <= LATENCY_BASE_MS) return 0;
  return Math.min(LATENCY_BUCKETS - 1, Math.ceil(Math.log(ms / LATENCY_BASE_MS) / Math.log(LATENCY_GROWTH)));
}
function bucketUpperMs(i: number): number {
  return LATENCY_BASE_MS * LATENCY_GROWTH ** i;
}

export interface SideStats {
  requests: number;
  errors: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface ShadowStats {
  compared: number;
  mismatches: number;
  /** Not shadowed because SHADOW_MAX_CONCURRENCY comparisons were already in flight. */
  skipped: number;
  /** The shadow side failed or timed out (not counted as compared). */
  failed: number;
}

export interface RouteStatsView {
  windowSeconds: number;
  legacy: SideStats;
  new: SideStats;
  shadow: ShadowStats;
}

export type ShadowOutcome = 'match' | 'mismatch' | 'skipped' | 'failed';

/**
 * Live counters per route and side. Each replica counts in memory and adds its counts to
 * per-minute Redis hashes every second (one pipeline), so the admin API shows the sum over
 * every replica for the last STATS_WINDOW_MINUTES; percentiles come from merged log-scale
 * histograms (within 12 % of the true value). Prometheus gets the same figures per replica.
 * Redis down: counts wait in memory (bounded) and the admin view says what Redis had.
 */
@Injectable()
export class RouteStats implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('RouteStats');
  private pending = new Map<string, Map<string, number>>();
  private timer?: NodeJS.Timeout;
  private lastWarnAt = 0;
  private readonly requestsTotal: Counter<'route' | 'side' | 'outcome'>;
  private readonly duration: Histogram<'route' | 'side'>;
  private readonly shadowTotal: Counter<'route' | 'result'>;

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    private readonly env: GatewayEnv,
    metrics: MetricsService,
  ) {
    this.requestsTotal = metrics.counter('gateway_route_requests_total', 'Requests per strangler-fig route and serving side (outcome: ok, error = 5xx)', ['route', 'side', 'outcome']);
    this.duration = metrics.histogram('gateway_route_request_duration_seconds', 'Latency per strangler-fig route and serving side', ['route', 'side']);
    this.shadowTotal = metrics.counter('gateway_route_shadow_comparisons_total', 'Shadow comparisons per route (result: match, mismatch, skipped, failed)', ['route', 'result']);
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), STATS_FLUSH_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private key(routeId: string, minute: number): string {
    return `${this.env.REDIS_KEY_PREFIX}routes:stats:${routeId}:${minute}`;
  }

  private samplesKey(routeId: string): string {
    return `${this.env.REDIS_KEY_PREFIX}routes:mismatches:${routeId}`;
  }

  private add(routeId: string, field: string, n = 1): void {
    let fields = this.pending.get(routeId);
    if (!fields) this.pending.set(routeId, (fields = new Map()));
    fields.set(field, (fields.get(field) ?? 0) + n);
  }

  /** One answered request of `route` served by `side`. */
  recordRequest(routeId: string, prefix: string, side: Side, status: number, ms: number): void {
    const error = status >= 500;
    this.add(routeId, `${side}.requests`);
    if (error) this.add(routeId, `${side}.errors`);
    this.add(routeId, `${side}.b${latencyBucket(ms)}`);
    this.requestsTotal.inc({ route: prefix, side, outcome: error ? 'error' : 'ok' });
    this.duration.observe({ route: prefix, side }, ms / 1000);
  }

  recordShadow(routeId: string, prefix: string, outcome: ShadowOutcome): void {
    if (outcome === 'match' || outcome === 'mismatch') this.add(routeId, 'shadow.compared');
    if (outcome === 'mismatch') this.add(routeId, 'shadow.mismatches');
    if (outcome === 'skipped') this.add(routeId, 'shadow.skipped');
    if (outcome === 'failed') this.add(routeId, 'shadow.failed');
    this.shadowTotal.inc({ route: prefix, result: outcome });
  }

  /** Keeps a mismatching pair (already redacted) among the route's latest MAX_SAMPLES. */
  async recordMismatch(routeId: string, sample: object): Promise<void> {
    const key = this.samplesKey(routeId);
    await this.redis
      .multi()
      .lpush(key, JSON.stringify(sample))
      .ltrim(key, 0, MAX_SAMPLES - 1)
      .expire(key, SAMPLES_TTL_SECONDS)
      .exec()
      .catch((e: Error) => this.warn(`mismatch sample not stored: ${e.message}`));
  }

  async mismatches(routeId: string): Promise<unknown[]> {
    const raw = await this.redis.lrange(this.samplesKey(routeId), 0, MAX_SAMPLES - 1);
    return raw.map((s) => JSON.parse(s) as unknown);
  }

  /** Adds this replica's counts to the current minute's Redis hashes. */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const minute = Math.floor(Date.now() / 60_000);
    const multi = this.redis.multi();
    for (const [routeId, fields] of batch) {
      const key = this.key(routeId, minute);
      for (const [field, n] of fields) multi.hincrby(key, field, n);
      multi.expire(key, BUCKET_TTL_SECONDS);
    }
    try {
      const results = await multi.exec();
      if (results?.some(([err]) => err)) throw new Error('a counter update failed');
    } catch (e) {
      // Back into the next flush (counts of one window at most: beyond that they are stale).
      if (this.pending.size < 10_000) {
        for (const [routeId, fields] of batch) for (const [field, n] of fields) this.add(routeId, field, n);
      }
      this.warn(`route counters not flushed (kept for the next try): ${(e as Error).message}`);
    }
  }

  /** The window's counters of each route, summed over every replica. */
  async view(routeIds: readonly string[]): Promise<Map<string, RouteStatsView>> {
    const now = Math.floor(Date.now() / 60_000);
    const minutes = Array.from({ length: STATS_WINDOW_MINUTES }, (_, i) => now - i);
    const out = new Map<string, RouteStatsView>();
    let hashes: Record<string, string>[] = [];
    try {
      const pipeline = this.redis.pipeline();
      for (const id of routeIds) for (const m of minutes) pipeline.hgetall(this.key(id, m));
      const results = (await pipeline.exec()) ?? [];
      hashes = results.map(([err, v]) => (err ? {} : ((v as Record<string, string>) ?? {})));
    } catch (e) {
      this.warn(`route counters unavailable: ${(e as Error).message}`);
    }
    routeIds.forEach((id, r) => {
      const sums = new Map<string, number>();
      for (let i = 0; i < minutes.length; i++) {
        for (const [f, v] of Object.entries(hashes[r * minutes.length + i] ?? {})) sums.set(f, (sums.get(f) ?? 0) + Number(v));
      }
      out.set(id, {
        windowSeconds: STATS_WINDOW_MINUTES * 60,
        legacy: sideView(sums, 'legacy'),
        new: sideView(sums, 'new'),
        shadow: {
          compared: sums.get('shadow.compared') ?? 0,
          mismatches: sums.get('shadow.mismatches') ?? 0,
          skipped: sums.get('shadow.skipped') ?? 0,
          failed: sums.get('shadow.failed') ?? 0,
        },
      });
    });
    return out;
  }

  private warn(message: string): void {
    if (Date.now() - this.lastWarnAt < 30_000) return;
    this.lastWarnAt = Date.now();
    this.logger.warn(message);
  }
}

function sideView(sums: Map<string, number>, side: Side): SideStats {
  const counts = Array.from({ length: LATENCY_BUCKETS }, (_, i) => sums.get(`${side}.b${i}`) ?? 0);
  const total = counts.reduce((a, b) => a + b, 0);
  const percentile = (q: number): number | null => {
    if (total === 0) return null;
    const rank = Math.ceil(q * total);
    let seen = 0;
    for (let i = 0; i < counts.length; i++) {
      seen += counts[i];
      if (seen >= rank) return Math.round(bucketUpperMs(i) * 100) / 100;
    }
    return Math.round(bucketUpperMs(LATENCY_BUCKETS - 1) * 100) / 100;
  };
  return { requests: sums.get(`${side}.requests`) ?? 0, errors: sums.get(`${side}.errors`) ?? 0, p50Ms: percentile(0.5), p95Ms: percentile(0.95) };
}
