import { ValidationError, type FieldViolation } from '../errors/domain-errors';
import { isUuid } from './ids';
import { parseIsoTimestamp } from './timestamps';
import { textProblem, type TextRule } from './text';

/**
 * Collects the field violations of one request, then throws them together as one
 * ValidationError (INVALID_ARGUMENT → 400 VALIDATION_FAILED), so clients fix all at once.
 * The one validation style of the services: each check adds a violation and returns the
 * checked value (or undefined/false), so input code reads top to bottom.
 */
export class Violations {
  private readonly list: FieldViolation[] = [];

  add(field: string, message: string): void {
    this.list.push({ field, message });
  }

  get empty(): boolean {
    return this.list.length === 0;
  }

  get all(): readonly FieldViolation[] {
    return this.list;
  }

  throwIfAny(message = 'The request is not valid', code?: string): void {
    if (this.list.length > 0) throw new ValidationError(message, [...this.list], code);
  }

  /**
   * Free text that is stored: well-formed Unicode, no NUL, at most `max` characters (code
   * points) — and at least `min` when given. True when it is fine.
   */
  text(field: string, value: string, max: number | TextRule): boolean {
    const problem = textProblem(value, typeof max === 'number' ? { max } : max);
    if (problem) this.add(field, problem);
    return problem === undefined;
  }

  /**
   * Like text(), for a value that must be present: blank (only white space, BOM included) is
   * refused, anything else is returned exactly as sent — stored text is never silently altered.
   */
  requiredText(field: string, value: string | undefined | null, max: number): string | undefined {
    const text = value ?? '';
    if (!text.trim()) {
      this.add(field, 'is required');
      return undefined;
    }
    return this.text(field, text, max) ? text : undefined;
  }

  /**
   * An ISO-8601 timestamp, or undefined (with a violation) when it is not one. A bare date
   * (`YYYY-MM-DD`, midnight UTC) is accepted unless `dateOnly: false`.
   */
  date(field: string, value: string, opts: { dateOnly?: boolean } = {}): Date | undefined {
    const parsed = parseIsoTimestamp(value, { dateOnly: opts.dateOnly ?? true });
    if (parsed === 'format') {
      this.add(field, 'must be an ISO-8601 date-time with a time zone, e.g. 2030-01-31T17:00:00Z');
      return undefined;
    }
    if (parsed === 'range') {
      this.add(field, 'must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z');
      return undefined;
    }
    return new Date(parsed);
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
