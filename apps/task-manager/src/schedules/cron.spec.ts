import { Violations } from '@aether/service-kit';
import { isTimeZone, nextRunAfter, validateCron } from './cron';

const problems = (cron: string, tz = 'UTC', min = 60) => {
  const v = new Violations();
  validateCron(v, cron, tz, min);
  try {
    v.throwIfAny();
    return [];
  } catch (e) {
    return (e as { violations: { field: string; message: string }[] }).violations;
  }
};

describe('cron', () => {
  it('reads the expression in the schedule time zone, across a DST change', () => {
    // Europe/Berlin leaves summer time on 2030-10-27: 09:00 local is 07:00Z before, 08:00Z after.
    expect(nextRunAfter('0 9 * * *', 'Europe/Berlin', new Date('2030-10-26T12:00:00Z')).toISOString()).toBe('2030-10-27T08:00:00.000Z');
    expect(nextRunAfter('0 9 * * *', 'Europe/Berlin', new Date('2030-10-25T12:00:00Z')).toISOString()).toBe('2030-10-26T07:00:00.000Z');
  });

  it('gives the next time strictly after the reference (so a catch-up fires once)', () => {
    expect(nextRunAfter('*/5 * * * *', 'UTC', new Date('2030-01-01T00:05:00Z')).toISOString()).toBe('2030-01-01T00:10:00.000Z');
  });

  it('accepts 5 and 6 fields and macros; names the problem otherwise', () => {
    expect(problems('0 9 * * MON-FRI')).toEqual([]);
    expect(problems('@daily')).toEqual([]);
    expect(problems('*/10 * * * * *', 'UTC', 10)).toEqual([]);
    expect(problems('*/10 * * * * *')).toEqual([{ field: 'cron', message: 'fires more often than once every 60 s' }]);
    expect(problems('* * *')[0].message).toContain('got 3');
    expect(problems('0 9 * * FUNDAY')[0].message).toMatch(/^is not a valid cron expression: /);
    expect(problems('0 9 * * *', 'Moon/Base')).toEqual([{ field: 'timezone', message: expect.stringContaining('not an IANA time zone') }]);
  });

  it('knows IANA zones', () => {
    expect(['UTC', 'America/New_York', 'Asia/Kolkata'].every(isTimeZone)).toBe(true);
    expect(['', 'Mars/Olympus', 'x'.repeat(80)].some(isTimeZone)).toBe(false);
  });
});
