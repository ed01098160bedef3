import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { UnavailableError } from '@aether/service-kit';
import { AnalyticsCollections } from '../events/analytics-collections';
import { BUCKET_MS, ceilTo, floorTo } from '../events/buckets';
import { committedJournals, COMPACTION_STATE_ID, journalEvents } from '../events/compaction.service';
import { dayDocRef, edgeDocRef, hourDocRef, type CompactEvent, type DocRef, type EdgeDoc, type EventFacts, type SlotDoc, type SlotDocKind } from '../events/rollup-model';
import { RollupStore, type RollupDoc } from '../events/rollup-store';

/** A not yet folded event; `seq` is the compaction batch it is planned in (Infinity: none yet). */
export interface TailEvent extends EventFacts {
  seq: number;
}

export interface Snapshot {
  docs: Map<string, RollupDoc>;
  tail: TailEvent[];
}

/**
 * One part of a query range and the doc that answers it: a day doc for whole hours, an hour doc
 * for whole minutes, an edge doc (the minute's events) for the milliseconds at either end.
 */
export interface Piece {
  kind: SlotDocKind | 'edge';
  ref: DocRef;
  from: number;
  to: number;
}

const ATTEMPTS = 5;

/**
 * Splits [from, to) into pieces: edge docs for the partial minutes at the ends, hour docs for the
 * partial hours, day docs for the rest (whole hours). At most 2 edge + 2 hour docs plus one day
 * doc per day touched.
 */
export function coverRange(scope: string, from: number, to: number): Piece[] {
  const pieces: Piece[] = [];
  const edge = (a: number, b: number) => pieces.push({ kind: 'edge', ref: edgeDocRef(a), from: a, to: b });
  const hours = (a: number, b: number) => pieces.push({ kind: 'hour', ref: hourDocRef(scope, a), from: a, to: b });
  const days = (a: number, b: number) => {
    for (let d = floorTo(a, 'day').getTime(); d < b; d += BUCKET_MS.day) {
      pieces.push({ kind: 'day', ref: dayDocRef(scope, d), from: Math.max(a, d), to: Math.min(b, d + BUCKET_MS.day) });
    }
  };
  const minutes = (a: number, b: number) => {
    if (a >= b) return;
    const h0 = ceilTo(a, 'hour').getTime();
    const h1 = floorTo(b, 'hour').getTime();
    if (h0 >= h1) {
      // No whole hour inside: one or two partial hours.
      const mid = Math.min(h0, b);
      hours(a, mid);
      if (mid < b) hours(mid, b);
      return;
    }
    if (a < h0) hours(a, h0);
    days(h0, h1);
    if (h1 < b) hours(h1, b);
  };
  const m0 = ceilTo(from, 'minute').getTime();
  const m1 = floorTo(to, 'minute').getTime();
  if (m0 > m1) {
    edge(from, to); // inside one minute
    return pieces;
  }
  if (from < m0) edge(from, m0);
  minutes(m0, m1);
  if (m1 < to) edge(m1, to);
  return pieces;
}

/** The piece holding instant `t` (pieces sorted and contiguous), or undefined outside them. */
export function pieceAt(pieces: Piece[], t: number): Piece | undefined {
  let lo = 0;
  let hi = pieces.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const p = pieces[mid];
    if (t < p.from) hi = mid - 1;
    else if (t >= p.to) lo = mid + 1;
    else return p;
  }
  return undefined;
}

/** The events an edge doc holds. */
export function edgeEvents(doc: RollupDoc | undefined): EventFacts[] {
  const e = (doc as EdgeDoc | undefined)?.e;
  if (!e) return [];
  return (JSON.parse(e) as CompactEvent[]).map(([id, timeMs, type, userId, promptTokens, completionTokens, usdNano]) => ({
    id,
    timeMs,
    type,
    userId,
    promptTokens,
    completionTokens,
    usdNano,
  }));
}

/**
 * Reads rollup docs and the not yet folded tail as one consistent view, so every stored event is
 * counted exactly once while compaction runs:
 * 1. the compaction state: the last planned batch `seq` and, while it is being applied, its journals;
 * 2. the committed journals (the tail: commits, then their journals); a journal of the batch
 *    being applied has that `seq`, any other is in no batch yet (one folded meanwhile is gone,
 *    and then inside the docs of 3);
 * 3. the docs. A tail event is already inside a day/hour doc iff the doc's `seq` ≥ the event's
 *    batch; edge docs list their event ids. A doc newer than the state read in 1 (a batch planned
 *    in between, whose journals 2 may or may not have seen) makes the view ambiguous: it is
 *    read again, which succeeds once no plan lands between 1 and 3 (plans are ≥ a second apart).
 */
@Injectable()
export class RollupReader {
  constructor(
    private readonly db: AnalyticsCollections,
    private readonly rollups: RollupStore,
  ) {}

  async snapshot(refs: DocRef[], wanted: (e: EventFacts) => boolean): Promise<Snapshot> {
    // No tail (the usual case once compaction keeps up): the docs alone are exact. Everything
    // committed before this read is folded (docs are written before commits are deleted) and
    // nothing is counted twice; two round trips instead of four.
    if ((await this.db.commits.countDocuments({ folded: { $ne: true } }, { limit: 1 })) === 0) {
      return { docs: await this.rollups.read(refs), tail: [] };
    }
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const state = await this.db.state.findOne({ _id: COMPACTION_STATE_ID });
      const seq = state?.seq ?? 0;
      const planned = new Set(state && !state.applied ? (state.planned ?? []) : []);
      const journals = await committedJournals(this.db, await this.db.commits.find({ folded: { $ne: true } }).toArray());
      const docs = await this.rollups.read(refs);
      if ([...docs.values()].some((d) => ((d as SlotDoc).seq ?? 0) > seq)) {
        await sleep(5 * (attempt + 1));
        continue;
      }
      const tail: TailEvent[] = [];
      for (const j of journals) {
        const batch = planned.has(j.journal._id) ? seq : Infinity;
        for (const e of journalEvents(j)) if (wanted(e)) tail.push({ ...e, seq: batch });
      }
      return { docs, tail };
    }
    throw new UnavailableError('Analytics figures are being compacted; retry');
  }
}
