/** Proto timestamps are ISO-8601 UTC strings; the empty string means unset. */
export function toIso(date: Date | null | undefined): string {
  return date ? date.toISOString() : '';
}

// A date-time with a zone (Z or ±hh:mm); the date alone is accepted only when asked for. A
// zone-less time would be read in the server's zone, so it is refused rather than guessed.
const DATE_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/** Date.parse rolls 2030-02-31 over to March; a date that does not exist is refused instead. */
function realCalendarDay(value: string): boolean {
  const [y, m, d] = value.slice(0, 10).split('-').map(Number);
  return m >= 1 && m <= 12 && d >= 1 && d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

// Answers are RFC 3339 (`YYYY-MM-DDTHH:mm:ss.sssZ`): a four-digit year. Outside it toISOString()
// turns to `+010000-…`, which clients' ISO parsers refuse.
export const MIN_TIMESTAMP_MS = Date.UTC(1, 0, 1);
export const MAX_TIMESTAMP_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

export type TimestampProblem = 'format' | 'range';

/**
 * An ISO-8601 timestamp → epoch ms, or the reason it is not one. `dateOnly: true` also accepts a
 * bare `YYYY-MM-DD` (midnight UTC).
 */
export function parseIsoTimestamp(value: string, opts: { dateOnly?: boolean } = {}): number | TimestampProblem {
  const shapeOk = DATE_TIME_RE.test(value) || (opts.dateOnly === true && DATE_RE.test(value));
  const ms = shapeOk && realCalendarDay(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) return 'format';
  if (ms < MIN_TIMESTAMP_MS || ms > MAX_TIMESTAMP_MS) return 'range';
  return ms;
}

/** A timestamp as this service writes them (toISOString or PostgreSQL's text of a timestamptz). */
export function isTimestampText(value: string): boolean {
  return value.length <= 40 && !Number.isNaN(Date.parse(value));
}
