import { Injectable } from '@nestjs/common';
import { BUCKET_MS, ceilTo, floorTo, type Granularity } from '../events/buckets';
import { dayDocRef, decodeSlotDoc, hourDocRef, scopeKey, SLOT_MS, type DocRef, type SlotDoc, type SlotDocKind } from '../events/rollup-model';
import { RollupReader } from './rollup-reader';
import type { Scope } from './scope';
import { assertBucketCount, type TimeRange } from './time-range';

export interface TimeseriesPoint {
  t: Date;
  count: number;
}

/**
 * Counts of one event type per minute/hour/day, one point per bucket from the bucket holding
 * `from` up to `to` (empty buckets are 0). Each point counts its whole bucket, so a point means
 * the same whatever range it was asked in. Read from the rollups plus the not yet folded tail:
 * minute points from hour docs (≤ 26 for the longest minute series), hour and day points from
 * day docs (one per day).
 */
@Injectable()
export class TimeseriesService {
  constructor(private readonly reader: RollupReader) {}

  async series(type: string, g: Granularity, range: TimeRange, scope: Scope): Promise<TimeseriesPoint[]> {
    assertBucketCount(range, g);
    const first = floorTo(range.from, g).getTime();
    const end = ceilTo(range.to, g).getTime();
    const scopeName = scopeKey(scope.userId);
    // Minute points need minute slots (hour docs); hours and days come from day docs' hour slots.
    const kind: SlotDocKind = g === 'minute' ? 'hour' : 'day';
    const docSize = kind === 'hour' ? BUCKET_MS.hour : BUCKET_MS.day;
    const refOf = (t: number): DocRef => (kind === 'hour' ? hourDocRef(scopeName, t) : dayDocRef(scopeName, t));
    const refs: DocRef[] = [];
    for (let t = floorTo(first, kind).getTime(); t < end; t += docSize) refs.push(refOf(t));

    const snap = await this.reader.snapshot(refs, (e) => e.type === type && e.timeMs >= first && e.timeMs < end && (scope.userId === undefined || e.userId === scope.userId));
    const byBucket = new Map<number, number>();
    const add = (t: number, n: number) => {
      if (n > 0 && t >= first && t < end) byBucket.set(floorTo(t, g).getTime(), (byBucket.get(floorTo(t, g).getTime()) ?? 0) + n);
    };
    for (const ref of refs) {
      const slots = decodeSlotDoc(kind, snap.docs.get(ref.id) as SlotDoc | undefined).byType.get(type);
      slots?.forEach((n, i) => add(ref.bucket + i * SLOT_MS[kind], n));
    }
    for (const e of snap.tail) {
      const doc = snap.docs.get(refOf(e.timeMs).id) as SlotDoc | undefined;
      if ((doc?.seq ?? 0) < e.seq) add(e.timeMs, 1);
    }
    const points: TimeseriesPoint[] = [];
    for (let t = first; t < range.to.getTime(); t += BUCKET_MS[g]) points.push({ t: new Date(t), count: byBucket.get(t) ?? 0 });
    return points;
  }
}
