/**
 * What presenting a refresh token means, given its stored row (storage-free, unit-tested):
 * - `rotate`: live and unspent → spend it and issue its child;
 * - `reused`: already spent → someone replayed it: revoke the whole family;
 * - `invalid`: unknown, revoked (logout / earlier reuse) or expired.
 */
export type RefreshDecision = 'rotate' | 'reused' | 'invalid';

export interface RefreshTokenState {
  usedAt: Date | null;
  revokedAt: Date | null;
  expiresAt: Date;
}

export function decideRefresh(token: RefreshTokenState | null | undefined, now: Date): RefreshDecision {
  if (!token) return 'invalid';
  // A spent token is a replay whatever else holds: one copy was used, another is being used now.
  if (token.usedAt) return 'reused';
  if (token.revokedAt) return 'invalid';
  if (token.expiresAt.getTime() <= now.getTime()) return 'invalid';
  return 'rotate';
}
