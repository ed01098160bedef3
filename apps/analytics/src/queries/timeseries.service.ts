import { Injectable } from '@nestjs/common';
import { AnalyticsCollections } from '../events/analytics-collections';
import { BUCKET_MS, ceilTo, floorTo, type Granularity } from '../events/buckets';
import { groupSum } from './group-sum';
import { userMatch, type Scope } from './scope';
import { assertBucketCount, type TimeRange } from './time-range';

export interface TimeseriesPoint {
  t: Date;
  count: number;
}

/**
 * Counts of one event type per minute/hour/day: the events of the type in [from, to), grouped by
 * the bucket field stored with each event (`minute` | `hour` | `day`). The aggregation returns
 * only buckets that have events; the gaps are filled with zeros here, so the answer has one point
 * per bucket from the bucket holding `from` up to `to`. Each point counts its whole bucket (the
 * range is widened to bucket bounds), so a point means the same whatever range it was asked in.
 */
@Injectable()
export class TimeseriesService {
  constructor(private readonly db: AnalyticsCollections) {}

  async series(type: string, g: Granularity, range: TimeRange, scope: Scope): Promise<TimeseriesPoint[]> {
    assertBucketCount(range, g);
    const first = floorTo(range.from, g);
    const sparse = await groupSum(
      this.db.events,
      // As a `time` range (not on the bucket field) so MongoDB answers it from the type_time index.
      { type, time: { $gte: first, $lt: ceilTo(range.to, g) }, ...userMatch(scope) },
      `$${g}`,
      { n: 1 },
    );
    const byBucket = new Map<number, number>();
    for (const { key, sums } of sparse.values()) byBucket.set(new Date(key as Date).getTime(), sums.n);
    const points: TimeseriesPoint[] = [];
    for (let t = first.getTime(); t < range.to.getTime(); t += BUCKET_MS[g]) {
      points.push({ t: new Date(t), count: byBucket.get(t) ?? 0 });
    }
    return points;
  }
}
