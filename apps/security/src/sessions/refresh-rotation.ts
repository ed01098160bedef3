import { createHmac } from 'node:crypto';

/**
 * What presenting a refresh token means, given its stored row (storage-free, unit-tested):
 * - `rotate`: live and unspent → spend it and issue its child;
 * - `repeat`: spent less than the reuse interval ago and its family still live → the same
 *   client racing itself (two tabs, a retried request): answer with the token it was rotated into;
 * - `reused`: spent earlier → someone replayed it: revoke the whole family;
 * - `invalid`: unknown, revoked (logout / earlier reuse) or expired.
 */
export type RefreshDecision = 'rotate' | 'repeat' | 'reused' | 'invalid';

export interface RefreshTokenState {
  usedAt: Date | null;
  revokedAt: Date | null;
  expiresAt: Date;
}

export function decideRefresh(token: RefreshTokenState | null | undefined, now: Date, reuseIntervalSeconds = 0): RefreshDecision {
  if (!token) return 'invalid';
  if (token.usedAt) {
    const sinceUse = now.getTime() - token.usedAt.getTime();
    if (!token.revokedAt && sinceUse >= 0 && sinceUse < reuseIntervalSeconds * 1000) return 'repeat';
    // A spent token is a replay whatever else holds: one copy was used, another is being used now.
    return 'reused';
  }
  if (token.revokedAt) return 'invalid';
  if (token.expiresAt.getTime() <= now.getTime()) return 'invalid';
  return 'rotate';
}

export const REFRESH_TOKEN_PREFIX = 'rt_';

/**
 * The refresh token a rotation issues: derived from the token it replaces and the random id of
 * the new row, so a repeat within the reuse interval can answer with the same token although only
 * hashes are stored. Computing it needs both the presented (spent) token, which the database does
 * not hold, and the child's id, which never leaves the database.
 */
export function successorToken(parentToken: string, childId: string): string {
  return REFRESH_TOKEN_PREFIX + createHmac('sha256', parentToken).update(`aether.refresh.successor.v1:${childId}`).digest('base64url');
}
