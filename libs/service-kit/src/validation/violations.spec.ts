import { ValidationError } from '../errors/domain-errors';
import { isEmailAddress } from './email';
import { isUuid } from './ids';
import { parseIsoTimestamp, toIso } from './timestamps';
import { Violations } from './violations';

function thrown(v: Violations): ValidationError {
  try {
    v.throwIfAny('Invalid thing');
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return e as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('Violations', () => {
  it('collects every problem and throws them together', () => {
    const v = new Violations();
    expect(v.text('title', 'ok', 10)).toBe(true);
    expect(v.requiredText('name', '  Ada\ufeff', 10)).toBe('  Ada\ufeff'); // exactly as sent
    expect(v.empty).toBe(true);
    v.throwIfAny();

    expect(v.text('title', 'a\u0000', 10)).toBe(false);
    expect(v.requiredText('name', '   ', 10)).toBeUndefined();
    expect(v.requiredText('nick', 'x\ud800', 10)).toBeUndefined();
    expect(v.uuid('id', 'nope')).toBeUndefined();
    expect(v.oneOf('status', 'gone', ['todo', 'done'] as const)).toBeUndefined();
    expect(v.date('dueAt', '2030-02-30T00:00:00Z')).toBeUndefined();
    const err = thrown(v);
    expect(err.message).toBe('Invalid thing');
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.violations.map((x) => x.field)).toEqual(['title', 'name', 'nick', 'id', 'status', 'dueAt']);
  });

  it('returns checked values normalised', () => {
    const v = new Violations();
    expect(v.uuid('id', '0B7C1F0E-9A43-4A55-8F2B-2D3C8C0C9F11')).toBe('0b7c1f0e-9a43-4a55-8f2b-2d3c8c0c9f11');
    expect(v.oneOf('s', 'todo', ['todo', 'done'] as const)).toBe('todo');
    expect(v.date('at', '2030-01-31T17:00:00+02:00')?.toISOString()).toBe('2030-01-31T15:00:00.000Z');
    expect(v.date('at', '2030-01-31')?.toISOString()).toBe('2030-01-31T00:00:00.000Z');
    expect(v.empty).toBe(true);
  });

  it('dates: zone required, real calendar days, four-digit years; bare dates only when allowed', () => {
    expect(parseIsoTimestamp('2030-01-31T17:00:00')).toBe('format');
    expect(parseIsoTimestamp('2030-01-31')).toBe('format');
    expect(parseIsoTimestamp('2030-01-31', { dateOnly: true })).toBe(Date.UTC(2030, 0, 31));
    expect(parseIsoTimestamp('2031-02-29T00:00:00Z')).toBe('format');
    expect(parseIsoTimestamp('+10000-01-01T00:00:00Z')).toBe('format');
    expect(parseIsoTimestamp('0000-12-31T00:00:00Z')).toBe('range');
    const v = new Violations();
    expect(v.date('at', '2030-01-31', { dateOnly: false })).toBeUndefined();
    expect(v.all).toHaveLength(1);
  });
});

describe('ids, timestamps, emails', () => {
  it('isUuid and toIso', () => {
    expect(isUuid('0b7c1f0e-9a43-4a55-8f2b-2d3c8c0c9f11')).toBe(true);
    expect(isUuid('0b7c1f0e9a434a558f2b2d3c8c0c9f11')).toBe(false);
    expect(isUuid(undefined)).toBe(false);
    expect(toIso(new Date(Date.UTC(2030, 0, 1)))).toBe('2030-01-01T00:00:00.000Z');
    expect(toIso(null)).toBe('');
  });

  it('isEmailAddress answers yes or no for any input — a lone surrogate makes validator.js throw URIError', () => {
    expect(isEmailAddress('ada@example.com')).toBe(true);
    for (const bad of ['x\ud800y', 'x\ud800y@example.com', 'a\u0000@b.io', 'nope', '', `${'a'.repeat(250)}@b.io`, 42, undefined]) {
      expect(() => isEmailAddress(bad)).not.toThrow();
      expect(isEmailAddress(bad)).toBe(false);
    }
  });
});
