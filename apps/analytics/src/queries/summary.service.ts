import { Injectable } from '@nestjs/common';
import { AnalyticsCollections } from '../events/analytics-collections';
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

const inRange = (range: TimeRange) => ({ time: { $gte: range.from, $lt: range.to } });

const AI_SUMS = { promptTokens: '$promptTokens', completionTokens: '$completionTokens', costUsd: '$costUsd' } as const;

/**
 * The summary of a range, aggregated from the stored events themselves (`time` in [from, to),
 * exact to the millisecond). One `$group` per figure, as FerretDB 1.24 computes only the first
 * accumulator of a stage (see groupSum); the pipelines run in parallel. On MongoDB they are index
 * range scans (user_time, type_time, time_id); on FerretDB every non-`_id` filter is a scan of
 * the collection, so latency grows with the events kept (see README.md for figures).
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

  private async countByType(range: TimeRange, scope: Scope): Promise<Map<string, number>> {
    const rows = await groupSum(this.db.events, { ...inRange(range), ...userMatch(scope) }, '$type', { n: 1 });
    return new Map([...rows.values()].map(({ key, sums }) => [String(key), sums.n]));
  }

  private async aiUsage(range: TimeRange, scope: Scope): Promise<{ promptTokens: number; completionTokens: number; costUsd: number }> {
    const rows = await groupSum(this.db.events, { type: AI_COMPLETION_TYPE, ...inRange(range), ...userMatch(scope) }, null, AI_SUMS);
    const sums = [...rows.values()][0]?.sums;
    return { promptTokens: sums?.promptTokens ?? 0, completionTokens: sums?.completionTokens ?? 0, costUsd: sums?.costUsd ?? 0 };
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
