import { Injectable } from '@nestjs/common';
import { AnalyticsCollections } from '../events/analytics-collections';
import { AI_COMPLETION_TYPE, TASK_CREATED_TYPE } from '../events/event-record';
import { decodeSlotDoc, scopeKey, SLOT_MS, type EventFacts, type SlotDoc } from '../events/rollup-model';
import { coverRange, edgeEvents, pieceAt, RollupReader } from './rollup-reader';
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

class Tally {
  readonly byType = new Map<string, number>();
  promptTokens = 0;
  completionTokens = 0;
  usdNano = 0;

  add(e: EventFacts): void {
    this.byType.set(e.type, (this.byType.get(e.type) ?? 0) + 1);
    if (e.type === AI_COMPLETION_TYPE) {
      this.promptTokens += e.promptTokens;
      this.completionTokens += e.completionTokens;
      this.usdNano += e.usdNano;
    }
  }
}

/**
 * The summary of [from, to), exact to the millisecond, from the rollups plus the not yet folded
 * tail (RollupReader): day docs for whole hours, hour docs for the partial hours, the edge
 * minutes' own events at both ends. A 24 h summary reads ~2 day, 2 hour and 2 edge docs, whatever
 * number of events is stored.
 *
 * Task figures come from the per-task facts:
 * - completed: tasks first seen done within the range;
 * - overdue: tasks whose due time lies in the range and has already passed, and that were not
 *   completed, cancelled or deleted by that due time (a task finished late still counts: it was
 *   overdue). Cleared due dates do not count.
 */
@Injectable()
export class SummaryService {
  constructor(
    private readonly db: AnalyticsCollections,
    private readonly reader: RollupReader,
  ) {}

  async summarize(range: TimeRange, scope: Scope, now = new Date()): Promise<SummaryFigures> {
    const [tally, { completed, overdue }] = await Promise.all([this.eventFigures(range, scope), this.taskFigures(range, scope, now)]);
    const byType: Record<string, number> = {};
    let events = 0;
    for (const [type, n] of [...tally.byType].sort(([a], [b]) => a.localeCompare(b))) {
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
        promptTokens: tally.promptTokens,
        completionTokens: tally.completionTokens,
        // Kept in nano-USD (integers); answered with micro-dollar precision.
        costUsd: Math.round(tally.usdNano / 1e3) / 1e6,
      },
    };
  }

  private async eventFigures(range: TimeRange, scope: Scope): Promise<Tally> {
    const from = range.from.getTime();
    const to = range.to.getTime();
    const inScope = (e: EventFacts) => scope.userId === undefined || e.userId === scope.userId;
    const pieces = coverRange(scopeKey(scope.userId), from, to);
    const snap = await this.reader.snapshot(
      pieces.map((p) => p.ref),
      (e) => e.timeMs >= from && e.timeMs < to && inScope(e),
    );
    const tally = new Tally();
    const edgeIds = new Map<string, Set<string>>();
    for (const p of pieces) {
      const doc = snap.docs.get(p.ref.id);
      if (p.kind === 'edge') {
        const all = edgeEvents(doc);
        edgeIds.set(p.ref.id, new Set(all.map((e) => e.id)));
        for (const e of all) if (e.timeMs >= p.from && e.timeMs < p.to && inScope(e)) tally.add(e);
        continue;
      }
      const counts = decodeSlotDoc(p.kind, doc as SlotDoc | undefined);
      const first = (p.from - p.ref.bucket) / SLOT_MS[p.kind];
      const last = (p.to - p.ref.bucket) / SLOT_MS[p.kind];
      for (const [type, slots] of counts.byType) {
        let n = 0;
        for (let i = first; i < last; i++) n += slots[i];
        if (n > 0) tally.byType.set(type, (tally.byType.get(type) ?? 0) + n);
      }
      for (let i = first; i < last; i++) {
        tally.promptTokens += counts.promptTokens[i];
        tally.completionTokens += counts.completionTokens[i];
        tally.usdNano += counts.usdNano[i];
      }
    }
    for (const e of snap.tail) {
      const p = pieceAt(pieces, e.timeMs)!;
      const folded =
        p.kind === 'edge' ? edgeIds.get(p.ref.id)!.has(e.id) : ((snap.docs.get(p.ref.id) as SlotDoc | undefined)?.seq ?? 0) >= e.seq;
      if (!folded) tally.add(e);
    }
    return tally;
  }

  /**
   * completed and overdue from one read of the task facts (on FerretDB every read of
   * `task_states` is a scan, so one instead of two). "Closed after it was due" compares two
   * fields, which needs $expr (not in FerretDB 1.x): it is compared here.
   */
  private async taskFigures(range: TimeRange, scope: Scope, now: Date): Promise<{ completed: number; overdue: number }> {
    const from = range.from.getTime();
    const to = range.to.getTime();
    const until = Math.min(to, now.getTime());
    const either: Array<Record<string, unknown>> = [{ completedAt: { $gte: range.from, $lt: range.to } }];
    if (until > from) either.push({ dueAt: { $gte: range.from, $lt: new Date(until) } });
    const tasks = this.db.tasks.find({ $or: either, ...userMatch(scope) }, { projection: { completedAt: 1, dueAt: 1, closedAt: 1 } });
    let completed = 0;
    let overdue = 0;
    for await (const t of tasks) {
      const done = t.completedAt?.getTime();
      if (done !== undefined && done >= from && done < to) completed += 1;
      const due = t.dueAt?.getTime();
      if (due !== undefined && due >= from && due < until && (!t.closedAt || t.closedAt.getTime() > due)) overdue += 1;
    }
    return { completed, overdue };
  }
}
