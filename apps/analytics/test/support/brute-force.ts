import { randomUUID } from 'node:crypto';
import { AnalyticsCollections } from '../../src/events/analytics-collections';
import { BUCKET_MS, floorTo, type Granularity } from '../../src/events/buckets';
import { factsOf, type EventDoc, type IncomingEvent } from '../../src/events/event-record';
import { SummaryService } from '../../src/queries/summary.service';
import { TimeseriesService } from '../../src/queries/timeseries.service';
import type { AnalyticsHarness } from './analytics-harness';

/**
 * The oracle the rollup tests compare against: figures counted by brute force over the stored
 * events, and random ragged queries (summary and series, every scope) checked against it.
 */

const DAY = BUCKET_MS.day;
const HOUR = BUCKET_MS.hour;
const MIN = BUCKET_MS.minute;
export const AI = 'ai-gateway.completion.completed';
export const TYPES = [AI, 'task-manager.task.created', 'task-manager.task.updated', 'security.user.logged_in', 'docker-manager.container.started'];
export const USERS = ['u1', 'u2', 'u.3$x', undefined];

/** Deterministic PRNG (mulberry32), so a failure can be replayed from the printed seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class RandomEvents {
  constructor(
    private readonly rnd: () => number,
    /** Start of the two days the events fall in. */
    readonly base: number,
  ) {}

  pick<T>(xs: T[]): T {
    return xs[Math.floor(this.rnd() * xs.length)];
  }

  /** Times cluster on minute/hour/day boundaries, where off-by-one slots would show. */
  time(): number {
    const { rnd, base } = this;
    const r = rnd();
    if (r < 0.5) return base + Math.floor(rnd() * 2 * DAY);
    const boundary = base + Math.floor(rnd() * 48) * HOUR + (rnd() < 0.5 ? Math.floor(rnd() * 60) * MIN : 0);
    return boundary + Math.floor((rnd() - 0.5) * 4000);
  }

  event(): IncomingEvent {
    const { rnd } = this;
    const type = this.pick(TYPES);
    const data = type === AI ? { usage: { promptTokens: Math.floor(rnd() * 500), completionTokens: Math.floor(rnd() * 200), costUsd: Math.floor(rnd() * 5000) / 1e7 } } : {};
    return { id: randomUUID(), type, subject: this.pick(USERS), time: new Date(this.time()).toISOString(), data };
  }
}

export function bruteSummary(all: EventDoc[], from: number, to: number, userId?: string) {
  const byType: Record<string, number> = {};
  let pt = 0;
  let ct = 0;
  let usd = 0;
  for (const d of all) {
    const t = d.time.getTime();
    if (t < from || t >= to || (userId !== undefined && d.userId !== userId)) continue;
    byType[d.type] = (byType[d.type] ?? 0) + 1;
    if (d.type === AI) {
      const f = factsOf(d);
      pt += f.promptTokens;
      ct += f.completionTokens;
      usd += f.usdNano;
    }
  }
  return { byType, promptTokens: pt, completionTokens: ct, costUsd: Math.round(usd / 1e3) / 1e6 };
}

export function bruteSeries(all: EventDoc[], type: string, g: Granularity, from: number, to: number, userId?: string) {
  const first = floorTo(from, g).getTime();
  const counts = new Map<number, number>();
  for (const d of all) {
    const t = d.time.getTime();
    if (d.type !== type || (userId !== undefined && d.userId !== userId)) continue;
    const b = floorTo(t, g).getTime();
    if (b >= first && b < to) counts.set(b, (counts.get(b) ?? 0) + 1);
  }
  const points: Array<{ t: number; count: number }> = [];
  for (let t = first; t < to; t += BUCKET_MS[g]) points.push({ t, count: counts.get(t) ?? 0 });
  return points;
}

/**
 * Random ragged ranges and series around `gen.base`, every scope: each answer of the service in
 * `h` must equal the brute-force count over the events stored now.
 */
export async function expectQueriesExact(h: AnalyticsHarness, gen: RandomEvents, rnd: () => number, label: string, rounds = 12): Promise<void> {
  const { base } = gen;
  const all = await h.get(AnalyticsCollections).events.find({}).toArray();
  for (let i = 0; i < rounds; i++) {
    const from = base - HOUR + Math.floor(rnd() * 2.2 * DAY);
    const to = from + 1 + Math.floor(rnd() * (rnd() < 0.3 ? 2 * MIN : 1.5 * DAY));
    const userId = gen.pick(USERS);
    const s = await h.get(SummaryService).summarize({ from: new Date(from), to: new Date(to) }, { userId });
    const want = bruteSummary(all, from, to, userId);
    expect({ label, from, to, userId, byType: s.byType, pt: s.ai.promptTokens, ct: s.ai.completionTokens, usd: s.ai.costUsd }).toEqual({
      label,
      from,
      to,
      userId,
      byType: want.byType,
      pt: want.promptTokens,
      ct: want.completionTokens,
      usd: want.costUsd,
    });

    const g = gen.pick<Granularity>(['minute', 'hour', 'day']);
    const span = g === 'minute' ? 1400 * MIN : g === 'hour' ? 60 * HOUR : 5 * DAY;
    const sFrom = base - HOUR + Math.floor(rnd() * 2 * DAY);
    const sTo = sFrom + 1 + Math.floor(rnd() * span);
    const type = gen.pick(TYPES);
    const points = await h.get(TimeseriesService).series(type, g, { from: new Date(sFrom), to: new Date(sTo) }, { userId });
    expect({ label, g, type, userId, points: points.map((p) => ({ t: p.t.getTime(), count: p.count })) }).toEqual({
      label,
      g,
      type,
      userId,
      points: bruteSeries(all, type, g, sFrom, sTo, userId),
    });
  }
}
