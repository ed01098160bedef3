import { decideRefresh } from './refresh-rotation';

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
});
