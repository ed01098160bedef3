import { PermissionDeniedError } from '@aether/service-kit';

/** Whose figures a query covers: one user, or everyone (`userId` undefined, admins only). */
export interface Scope {
  userId?: string;
}

export interface Viewer {
  userId: string;
  /** Holds `analytics:read:all`. */
  isAdmin: boolean;
}

/**
 * Visibility rule: an admin sees everyone (or one user when asking for `userId`); anyone else sees
 * only their own figures. A non-admin naming another user is refused (403) rather than silently
 * answered about themselves, so a client never mistakes its own numbers for someone else's.
 */
export function scopeFor(viewer: Viewer, requestedUserId: string | undefined): Scope {
  const requested = requestedUserId?.trim() || undefined;
  if (viewer.isAdmin) return { userId: requested };
  if (requested && requested !== viewer.userId) {
    throw new PermissionDeniedError('Only administrators may see figures of other users', 'ANALYTICS_USER_FORBIDDEN');
  }
  return { userId: viewer.userId };
}

/** The `userId` condition of a scope, for a $match / find filter. */
export function userMatch(scope: Scope): { userId?: string } {
  return scope.userId === undefined ? {} : { userId: scope.userId };
}
