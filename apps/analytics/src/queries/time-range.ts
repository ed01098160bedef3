import { ValidationError, type FieldViolation } from '@aether/service-kit';
import { BUCKET_MS, type Granularity } from '../events/buckets';

export const DEFAULT_RANGE_MS = 24 * 3_600_000;
/** Longest range a query may span (retention keeps far less by default anyway). */
export const MAX_RANGE_MS = 366 * 86_400_000;
/** Most points one time series may return (a day of minutes, ~4 years of days). */
export const MAX_POINTS = 1500;

export interface TimeRange {
  from: Date;
  to: Date;
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(?<time>[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(?<zone>Z|[+-]\d{2}:?\d{2})?)?$/;

function parseInstant(field: string, value: string, violations: FieldViolation[]): Date | undefined {
  // Date.parse accepts far too much ("1", "March 7"); insist on an ISO-8601 date or date-time.
  const m = ISO_INSTANT.exec(value);
  if (!m) {
    violations.push({ field, message: 'must be an ISO-8601 timestamp, e.g. 2025-01-31T12:00:00Z' });
    return undefined;
  }
  // Timestamps are UTC (API conventions): a date-time without an offset is UTC, not the server's
  // local time, which is what Date would make of it.
  const d = new Date(m.groups?.time && !m.groups.zone ? `${value.replace(' ', 'T')}Z` : value);
  if (Number.isNaN(d.getTime())) {
    violations.push({ field, message: 'is not a valid date' });
    return undefined;
  }
  return d;
}

/**
 * `from`/`to` as sent (empty = unset) → a checked range. Defaults: to = now, from = to − 24 h.
 * Throws ValidationError (400) for unparseable values, from ≥ to, or a range over a year.
 */
export function resolveRange(fromRaw: string | undefined, toRaw: string | undefined, now = new Date()): TimeRange {
  const violations: FieldViolation[] = [];
  const to = toRaw ? parseInstant('to', toRaw, violations) : now;
  const fromParsed = fromRaw ? parseInstant('from', fromRaw, violations) : undefined;
  if (violations.length > 0 || !to) throw new ValidationError('Invalid time range', violations);
  const from = fromParsed ?? new Date(to.getTime() - DEFAULT_RANGE_MS);
  if (from.getTime() >= to.getTime()) {
    throw new ValidationError('Invalid time range', [{ field: 'from', message: 'must be earlier than to' }]);
  }
  if (to.getTime() - from.getTime() > MAX_RANGE_MS) {
    throw new ValidationError('Invalid time range', [{ field: 'from', message: 'the range may span at most 366 days' }]);
  }
  return { from, to };
}

/** Throws ValidationError when [from, to) holds more than MAX_POINTS buckets of `g`. */
export function assertBucketCount(range: TimeRange, g: Granularity): number {
  const size = BUCKET_MS[g];
  const first = Math.floor(range.from.getTime() / size);
  const last = Math.ceil(range.to.getTime() / size);
  const points = last - first;
  if (points > MAX_POINTS) {
    throw new ValidationError('Too many points', [
      { field: 'interval', message: `the range holds ${points} ${g} buckets; at most ${MAX_POINTS} are allowed (use a coarser interval or a shorter range)` },
    ]);
  }
  return points;
}
