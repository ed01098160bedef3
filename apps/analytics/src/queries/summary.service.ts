import { Injectable } from '@nestjs/common';
import { AnalyticsCollections } from '../events/analytics-collections';
import { decompose } from '../events/buckets';
import { AI_COMPLETION_TYPE, TASK_CREATED_TYPE } from '../events/event-record';
import { groupSum } from './group-sum';
import { userMatch, type Scope } from './scope';
import type { TimeRange } from './time-range';

export interface SummaryFigures {
  from: Date;
  to: Date;
  totals: { events: number };
  byType: Record<string, number>;
  tasks: { created: number; completed: number; overdue: number };
  ai: { requests: number; promptTokens: number; completionTokens: number; costUsd: number };
}

const AI_SUMS = { promptTokens: '$promptTokens', completionTokens: '$completionTokens', costUsd: '$costUsd' } as const;

/**
 * The summary of a range, exact to the millisecond: the range is split into aligned day/hour/minute
 * stretches read from the rollups, plus the ragged sub-minute ends read from the raw events.
 *
 * Task figures come from the per-task facts:
 * - completed: tasks first seen done within the range;
 * - overdue: tasks whose due time lies in the range and has already passed, and that were not
 *   completed, cancelled or deleted by that due time (a task finished late still counts: it was
 *   overdue). Cleared due dates do not count.
 */
@Injectable()
export class SummaryService {
  constructor(private readonly db: AnalyticsCollections) {}

  async summarize(range: TimeRange, scope: Scope, now = new Date()): Promise<SummaryFigures> {
    const [counts, ai, completed, overdue] = await Promise.all([
      this.countByType(range, scope),
      this.aiUsage(range, scope),
      this.completedTasks(range, scope),
      this.overdueTasks(range, scope, now),
    ]);
    const byType: Record<string, number> = {};
    let events = 0;
    for (const [type, n] of [...counts].sort(([a], [b]) => a.localeCompare(b))) {
      if (n === 0) continue;
      byType[type] = n;
      events += n;
    }
    return {
      from: range.from,
      to: range.to,
      totals: { events },
      byType,
      tasks: { created: byType[TASK_CREATED_TYPE] ?? 0, completed, overdue },
      ai: {
        requests: byType[AI_COMPLETION_TYPE] ?? 0,
        promptTokens: ai.promptTokens,
        completionTokens: ai.completionTokens,
        // Float sums of many small costs: round away the binary noise (micro-dollar precision).
        costUsd: Math.round(ai.costUsd * 1e6) / 1e6,
      },
    };
  }

  /** The $match conditions for [from, to) on the rollups and on the raw events. */
  private rangeFilters(range: TimeRange): { rollups?: Record<string, unknown>; events?: Record<string, unknown> } {
    const segments = decompose(range.from, range.to);
    const rollup = segments.filter((s) => s.g !== 'raw').map((s) => ({ g: s.g, bucket: { $gte: s.from, $lt: s.to } }));
    const raw = segments.filter((s) => s.g === 'raw').map((s) => ({ time: { $gte: s.from, $lt: s.to } }));
    return {
      rollups: rollup.length ? { $or: rollup } : undefined,
      events: raw.length ? { $or: raw } : undefined,
    };
  }

  private async countByType(range: TimeRange, scope: Scope): Promise<Map<string, number>> {
    const f = this.rangeFilters(range);
    const [fromRollups, fromEvents] = await Promise.all([
      f.rollups ? groupSum(this.db.rollups, { ...f.rollups, ...userMatch(scope) }, '$type', { n: '$count' }) : new Map(),
      f.events ? groupSum(this.db.events, { ...f.events, ...userMatch(scope) }, '$type', { n: 1 }) : new Map(),
    ]);
    const out = new Map<string, number>();
    for (const part of [fromRollups, fromEvents]) {
      for (const { key, sums } of part.values()) out.set(String(key), (out.get(String(key)) ?? 0) + sums.n);
    }
    return out;
  }

  private async aiUsage(range: TimeRange, scope: Scope): Promise<{ promptTokens: number; completionTokens: number; costUsd: number }> {
    const f = this.rangeFilters(range);
    const base = { type: AI_COMPLETION_TYPE, ...userMatch(scope) };
    const parts = await Promise.all([
      f.rollups ? groupSum(this.db.rollups, { ...f.rollups, ...base }, null, AI_SUMS) : new Map(),
      f.events ? groupSum(this.db.events, { ...f.events, ...base }, null, AI_SUMS) : new Map(),
    ]);
    const total = { promptTokens: 0, completionTokens: 0, costUsd: 0 };
    for (const part of parts) {
      for (const { sums } of part.values()) {
        total.promptTokens += sums.promptTokens;
        total.completionTokens += sums.completionTokens;
        total.costUsd += sums.costUsd;
      }
    }
    return total;
  }

  private completedTasks(range: TimeRange, scope: Scope): Promise<number> {
    return this.db.tasks.countDocuments({ completedAt: { $gte: range.from, $lt: range.to }, ...userMatch(scope) });
  }

  private async overdueTasks(range: TimeRange, scope: Scope, now: Date): Promise<number> {
    const until = new Date(Math.min(range.to.getTime(), now.getTime()));
    if (until <= range.from) return 0;
    // "closed after it was due" compares two fields, which needs $expr (not in FerretDB 1.x): the
    // comparison is done here over the tasks due in the range, reading two fields of each.
    const due = this.db.tasks.find(
      { dueAt: { $gte: range.from, $lt: until }, ...userMatch(scope) },
      { projection: { dueAt: 1, closedAt: 1 } },
    );
    let overdue = 0;
    for await (const t of due) {
      if (!t.closedAt || (t.dueAt && t.closedAt.getTime() > t.dueAt.getTime())) overdue += 1;
    }
    return overdue;
  }
}
