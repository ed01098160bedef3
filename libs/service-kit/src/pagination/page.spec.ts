import { violationsOf as violation } from '@aether/testing';
import { decodeCursor, DEFAULT_PAGE_LIMIT, encodeCursor, MAX_PAGE_LIMIT, pageLimit, pageOf } from './page';

describe('pageLimit', () => {
  it('0 or absent → the default; 1..100 as asked', () => {
    expect(pageLimit(undefined)).toBe(DEFAULT_PAGE_LIMIT);
    expect(pageLimit({ limit: 0 })).toBe(DEFAULT_PAGE_LIMIT);
    expect(pageLimit({ limit: 1 })).toBe(1);
    expect(pageLimit({ limit: MAX_PAGE_LIMIT })).toBe(MAX_PAGE_LIMIT);
  });

  it.each([-1, 101, 2.5, Number.NaN])('%p is a 400 on `limit`', (limit) => {
    expect(violation(() => pageLimit({ limit }))).toEqual([{ field: 'limit', message: 'must be between 1 and 100' }]);
  });
});

describe('cursors', () => {
  const bad = [{ field: 'cursor', message: 'is not a cursor returned by this list' }];

  it('round-trip the sort key of the sort they were made for', () => {
    const raw = encodeCursor({ s: '-createdAt', k: ['2030-01-01 00:00:00.123456+00', '0b7c1f0e-9a43-4a55-8f2b-2d3c8c0c9f11'] });
    expect(raw).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(raw, '-createdAt', 2)).toEqual(['2030-01-01 00:00:00.123456+00', '0b7c1f0e-9a43-4a55-8f2b-2d3c8c0c9f11']);
    expect(decodeCursor('', '-createdAt', 2)).toBeUndefined();
    expect(decodeCursor(undefined, '-createdAt', 2)).toBeUndefined();
  });

  it('refuse another sort, another key length, forged shapes, garbage and failed value checks', () => {
    const raw = encodeCursor({ s: 'createdAt', k: ['a', 'b'] });
    expect(violation(() => decodeCursor(raw, '-createdAt', 2))).toEqual(bad);
    expect(violation(() => decodeCursor(raw, 'createdAt', 3))).toEqual(bad);
    expect(violation(() => decodeCursor(raw, 'createdAt', 2, ([t]) => t === 'x'))).toEqual(bad);
    for (const forged of [
      'not base64 json!',
      Buffer.from('null').toString('base64url'),
      Buffer.from('{"s":"createdAt","k":[1,2]}').toString('base64url'),
      encodeCursor({ s: 'createdAt', k: ['x'.repeat(257), 'b'] }),
      'A'.repeat(2000),
    ]) {
      expect(violation(() => decodeCursor(forged, 'createdAt', 2))).toEqual(bad);
    }
  });

  it('pageOf returns `limit` rows and a cursor only when there was one more', () => {
    const rows = [1, 2, 3].map((n) => ({ id: String(n) }));
    const first = pageOf(rows, 2, (last) => ({ s: 'id', k: [last.id] }));
    expect(first.items).toEqual(rows.slice(0, 2));
    expect(decodeCursor(first.nextCursor, 'id', 1)).toEqual(['2']);
    expect(pageOf(rows, 3, (last) => ({ s: 'id', k: [last.id] }))).toEqual({ items: rows, nextCursor: '' });
  });
});
