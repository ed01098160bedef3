import { ValidationError } from '@aether/service-kit';
import { etagOf, expectedVersion, ifNoneMatchHits } from './etag';

describe('ETag / If-Match', () => {
  it('round-trips the version', () => {
    expect(expectedVersion(etagOf(7))).toBe(7);
  });

  it('accepts the quoted, weak and bare forms; none or * means no check', () => {
    expect([expectedVersion('"3"'), expectedVersion('W/"3"'), expectedVersion('3'), expectedVersion(' 12 ')]).toEqual([3, 3, 3, 12]);
    expect([expectedVersion(undefined), expectedVersion('*'), expectedVersion('')]).toEqual([0, 0, 0]);
  });

  it('refuses anything else with a 400 naming the header', () => {
    for (const bad of ['abc', '"0"', '-1', '"1", "2"', '99999999999']) {
      expect(() => expectedVersion(bad)).toThrow(ValidationError);
    }
    try {
      expectedVersion('nope');
    } catch (e) {
      expect((e as ValidationError).violations).toEqual([{ field: 'If-Match', message: expect.any(String) }]);
    }
  });
});

describe('ifNoneMatchHits', () => {
  it('matches the current ETag, weakly, in a list, or *', () => {
    expect(ifNoneMatchHits('"3"', '"3"')).toBe(true);
    expect(ifNoneMatchHits('W/"3"', '"3"')).toBe(true);
    expect(ifNoneMatchHits('"1", "3"', '"3"')).toBe(true);
    expect(ifNoneMatchHits('*', '"3"')).toBe(true);
  });

  it('does not match another version, garbage or an absent header', () => {
    expect(ifNoneMatchHits('"2"', '"3"')).toBe(false);
    expect(ifNoneMatchHits('3', '"3"')).toBe(false);
    expect(ifNoneMatchHits(undefined, '"3"')).toBe(false);
    expect(ifNoneMatchHits('', '"3"')).toBe(false);
  });
});
