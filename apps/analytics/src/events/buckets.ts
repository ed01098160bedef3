/**
 * Time buckets, all UTC and of fixed length, so a bucket is `floor(t / size) * size`.
 * Each event stores its minute/hour/day when it is written (FerretDB 1.x has no $dateTrunc), so
 * a time series is a `$group` on one of those fields.
 */
export const GRANULARITIES = ['minute', 'hour', 'day'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

export const BUCKET_MS: Readonly<Record<Granularity, number>> = {
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};

export function floorTo(t: Date | number, g: Granularity): Date {
  const ms = typeof t === 'number' ? t : t.getTime();
  return new Date(Math.floor(ms / BUCKET_MS[g]) * BUCKET_MS[g]);
}

export function ceilTo(t: Date | number, g: Granularity): Date {
  const ms = typeof t === 'number' ? t : t.getTime();
  return new Date(Math.ceil(ms / BUCKET_MS[g]) * BUCKET_MS[g]);
}
