/**
 * Time buckets, all UTC and of fixed length, so a bucket is `floor(t / size) * size`.
 * Buckets are computed once when an event is stored (FerretDB 1.x has no $dateTrunc), and the
 * rollup collection keeps one counter document per (granularity, type, user, bucket).
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

export interface Segment {
  /** Rollup granularity, or `raw` for a stretch shorter than a minute (read from the events). */
  g: Granularity | 'raw';
  from: Date;
  to: Date;
}

/**
 * Splits [from, to) into the fewest aligned pieces: raw seconds at the ragged ends, then minutes,
 * hours and whole days in the middle. A 30-day summary thus reads ~30 day rollups plus a few
 * dozen hour/minute rollups instead of 43 200 minute documents, and stays exact to the
 * millisecond at both ends.
 */
export function decompose(from: Date, to: Date): Segment[] {
  const out: Segment[] = [];
  const push = (g: Segment['g'], a: number, b: number) => {
    if (b > a) out.push({ g, from: new Date(a), to: new Date(b) });
  };
  const split = (a: number, b: number, level: number): void => {
    if (b <= a) return;
    if (level < 0) return push('raw', a, b);
    const g = GRANULARITIES[level];
    const start = ceilTo(a, g).getTime();
    const end = floorTo(b, g).getTime();
    if (start >= end) return split(a, b, level - 1);
    split(a, start, level - 1);
    push(g, start, end);
    split(end, b, level - 1);
  };
  split(from.getTime(), to.getTime(), GRANULARITIES.length - 1);
  return out;
}
