import { resolveRange } from '../src/queries/time-range';

// Offset-less timestamps are read as UTC even on a server in another zone: that needs a process
// started with TZ set, so it is checked in apps/api-gateway/test/analytics.e2e.spec.ts.
describe('resolveRange', () => {
  it('keeps explicit offsets, reads plain dates and offset-less date-times as UTC', () => {
    const r = resolveRange('2025-01-01T02:00:00+02:00', '2025-01-02');
    expect(r).toEqual({ from: new Date('2025-01-01T00:00:00Z'), to: new Date('2025-01-02T00:00:00Z') });
    expect(resolveRange('2025-01-01 00:00', '2025-01-01T12:30:00').to).toEqual(new Date('2025-01-01T12:30:00Z'));
  });

  it('defaults to the 24 h before `to` (now when unset)', () => {
    const now = new Date('2025-03-01T10:00:00Z');
    expect(resolveRange(undefined, undefined, now)).toEqual({ from: new Date('2025-02-28T10:00:00Z'), to: now });
    expect(resolveRange(undefined, '2025-01-02T00:00:00Z').from).toEqual(new Date('2025-01-01T00:00:00Z'));
  });

  it('rejects from >= to, loose date strings and ranges over 366 days', () => {
    expect(() => resolveRange('2025-01-02T00:00:00Z', '2025-01-01T00:00:00Z')).toThrow('Invalid time range');
    expect(() => resolveRange('2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')).toThrow('Invalid time range');
    expect(() => resolveRange('March 7', undefined)).toThrow('Invalid time range');
    expect(() => resolveRange('2020-01-01T00:00:00Z', '2025-01-01T00:00:00Z')).toThrow('Invalid time range');
  });
});
