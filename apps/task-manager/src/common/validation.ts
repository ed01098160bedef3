import { ValidationError, type FieldViolation } from '@aether/service-kit';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// ISO-8601: a date, or a date-time with a zone (Z or ±hh:mm). A zone-less time would be
// read in the server's zone, so it is refused rather than guessed.
const ISO_RE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/i;

/** Date.parse rolls 2030-02-31 over to March; a date that does not exist is refused instead. */
function realCalendarDay(value: string): boolean {
  const [y, m, d] = value.slice(0, 10).split('-').map(Number);
  return m >= 1 && m <= 12 && d >= 1 && d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

// Timestamps are answered as RFC 3339 (`YYYY-MM-DDTHH:mm:ss.sssZ`): a four-digit UTC year.
// Outside it toISOString() turns to `+010000-…`, which clients' ISO parsers refuse.
const MIN_TIME = Date.UTC(1, 0, 1);
const MAX_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * Length in Unicode code points, the way PostgreSQL's varchar(n) counts: `'😀'.length` is 2
 * UTF-16 units, but one character for the client and for the column.
 */
export function charLength(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}

export function isUuid(v: string): boolean {
  return UUID_RE.test(v);
}

/**
 * Collects field violations of one request, then throws them together (clients fix all at once).
 */
export class Violations {
  private readonly list: FieldViolation[] = [];

  add(field: string, message: string): void {
    this.list.push({ field, message });
  }

  get empty(): boolean {
    return this.list.length === 0;
  }

  throwIfAny(message = 'The request is not valid'): void {
    if (this.list.length > 0) throw new ValidationError(message, this.list);
  }

  /** An ISO-8601 timestamp, or undefined (with a violation) when it is not one. */
  date(field: string, value: string): Date | undefined {
    const ms = ISO_RE.test(value) && realCalendarDay(value) ? Date.parse(value) : NaN;
    if (Number.isNaN(ms)) {
      this.add(field, 'must be an ISO-8601 date-time with a time zone, e.g. 2030-01-31T17:00:00Z');
      return undefined;
    }
    if (ms < MIN_TIME || ms > MAX_TIME) {
      this.add(field, 'must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z');
      return undefined;
    }
    return new Date(ms);
  }

  /**
   * Free text stored in PostgreSQL: at most `max` characters (code points) and no NUL, which a
   * PostgreSQL text value cannot hold (the insert would fail as a 500). True when it is fine.
   */
  text(field: string, value: string, max: number): boolean {
    if (value.includes('\u0000')) this.add(field, 'must not contain NUL (\\u0000) characters');
    else if (charLength(value) > max) this.add(field, `must be at most ${max} characters`);
    else return true;
    return false;
  }

  uuid(field: string, value: string): string | undefined {
    if (!isUuid(value)) {
      this.add(field, 'must be a UUID');
      return undefined;
    }
    return value.toLowerCase();
  }

  oneOf<T extends string>(field: string, value: string, allowed: readonly T[]): T | undefined {
    if (!(allowed as readonly string[]).includes(value)) {
      this.add(field, `must be one of: ${allowed.join(', ')}`);
      return undefined;
    }
    return value as T;
  }
}

export function toIso(d: Date | null | undefined): string {
  return d ? d.toISOString() : '';
}
