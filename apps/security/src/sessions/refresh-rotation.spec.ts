import { decideRefresh, successorToken } from './refresh-rotation';

const now = new Date('2025-01-01T00:00:00.000Z');
const later = new Date(now.getTime() + 60_000);
const earlier = new Date(now.getTime() - 60_000);
const live = { usedAt: null, revokedAt: null, expiresAt: later };

describe('refresh token decision', () => {
  it('rotates a live, unspent token', () => {
    expect(decideRefresh(live, now)).toBe('rotate');
  });

  it('rejects an unknown token', () => {
    expect(decideRefresh(null, now)).toBe('invalid');
  });

  it('treats a spent token as reuse, even when revoked or expired since', () => {
    expect(decideRefresh({ ...live, usedAt: earlier }, now)).toBe('reused');
    expect(decideRefresh({ ...live, usedAt: earlier, revokedAt: earlier }, now)).toBe('reused');
    expect(decideRefresh({ ...live, usedAt: earlier, expiresAt: earlier }, now)).toBe('reused');
  });

  it('rejects a revoked (logged-out) token that was never spent', () => {
    expect(decideRefresh({ ...live, revokedAt: earlier }, now)).toBe('invalid');
  });

  it('rejects an expired token, including at the exact expiry instant', () => {
    expect(decideRefresh({ ...live, expiresAt: earlier }, now)).toBe('invalid');
    expect(decideRefresh({ ...live, expiresAt: now }, now)).toBe('invalid');
  });

  describe('with a reuse interval', () => {
    const spentAgo = (seconds: number) => ({ ...live, usedAt: new Date(now.getTime() - seconds * 1000) });

    it('repeats a token spent less than the interval ago', () => {
      expect(decideRefresh(spentAgo(0), now, 5)).toBe('repeat');
      expect(decideRefresh(spentAgo(4.999), now, 5)).toBe('repeat');
    });

    it('treats it as reuse from the interval on, and always when the interval is 0', () => {
      expect(decideRefresh(spentAgo(5), now, 5)).toBe('reused');
      expect(decideRefresh(spentAgo(0), now, 0)).toBe('reused');
      expect(decideRefresh(spentAgo(0), now)).toBe('reused');
    });

    it('never repeats for a revoked family', () => {
      expect(decideRefresh({ ...spentAgo(1), revokedAt: now }, now, 5)).toBe('reused');
    });

    it('still rotates a live token and refuses expired ones', () => {
      expect(decideRefresh(live, now, 5)).toBe('rotate');
      expect(decideRefresh({ ...live, expiresAt: earlier }, now, 5)).toBe('invalid');
    });
  });
});

describe('successor token', () => {
  it('is the same for the same parent and child, different otherwise, and shaped like a refresh token', () => {
    const a = successorToken('rt_parent', '6c1b1f4e-5c36-4b7e-9a53-1d2a8f9f0c11');
    expect(a).toMatch(/^rt_[A-Za-z0-9_-]{43}$/);
    expect(successorToken('rt_parent', '6c1b1f4e-5c36-4b7e-9a53-1d2a8f9f0c11')).toBe(a);
    expect(successorToken('rt_other', '6c1b1f4e-5c36-4b7e-9a53-1d2a8f9f0c11')).not.toBe(a);
    expect(successorToken('rt_parent', '00000000-5c36-4b7e-9a53-1d2a8f9f0c11')).not.toBe(a);
  });
});
