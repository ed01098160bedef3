import { CronExpressionParser } from 'cron-parser';
import { Violations } from '@aether/service-kit';

export const DEFAULT_TIMEZONE = 'UTC';

/** True when `tz` is an IANA time zone this runtime knows (Intl is the source of truth). */
export function isTimeZone(tz: string): boolean {
  if (!tz || tz.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The first time the expression matches strictly after `after`, read in time zone `tz`. */
export function nextRunAfter(cron: string, tz: string, after: Date): Date {
  return CronExpressionParser.parse(cron, { tz, currentDate: after }).next().toDate();
}

/**
 * Checks a cron expression (5 fields, or 6 with seconds first) and a time zone; adds
 * violations with the parser's reason. `minIntervalSeconds` refuses expressions that would
 * fire more often (checked over the next few runs).
 */
export function validateCron(v: Violations, cron: string, tz: string, minIntervalSeconds: number): void {
  const tzOk = isTimeZone(tz);
  if (!tzOk) v.add('timezone', `"${tz.slice(0, 64)}" is not an IANA time zone (e.g. Europe/Berlin, UTC)`);
  const fields = cron.trim().split(/\s+/).length;
  if (!cron.trim() || cron.length > 200) {
    v.add('cron', 'must be a cron expression of 5 or 6 fields');
    return;
  }
  // "@daily", "@hourly", ... are single-token macros the parser understands.
  if (!cron.trim().startsWith('@') && (fields < 5 || fields > 6)) {
    v.add('cron', `must have 5 fields (minute hour day month weekday) or 6 (seconds first), got ${fields}`);
    return;
  }
  try {
    const it = CronExpressionParser.parse(cron, { tz: tzOk ? tz : DEFAULT_TIMEZONE, currentDate: new Date() });
    let prev = it.next().toDate();
    for (let i = 0; i < 5; i++) {
      const next = it.next().toDate();
      if ((next.getTime() - prev.getTime()) / 1000 < minIntervalSeconds) {
        v.add('cron', `fires more often than once every ${minIntervalSeconds} s`);
        return;
      }
      prev = next;
    }
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    v.add('cron', `is not a valid cron expression: ${reason}`);
  }
}
