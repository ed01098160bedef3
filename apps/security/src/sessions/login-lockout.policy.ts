/**
 * Account lockout rules, free of storage so they can be unit-tested: `maxFailures` failed logins
 * within `windowSeconds` lock the account for `lockoutSeconds`.
 */
export interface LockoutPolicy {
  maxFailures: number;
  windowSeconds: number;
  lockoutSeconds: number;
}

export interface ThrottleState {
  failures: number;
  windowStartedAt: Date;
  lockedUntil: Date | null;
}

/** Whole seconds until the account may try again (0 = not locked). */
export function secondsLocked(state: ThrottleState | null | undefined, now: Date): number {
  if (!state?.lockedUntil) return 0;
  const ms = state.lockedUntil.getTime() - now.getTime();
  return ms > 0 ? Math.ceil(ms / 1000) : 0;
}

/** State after one more failure. An expired window or an expired lock starts a fresh count. */
export function afterFailure(state: ThrottleState | null | undefined, now: Date, policy: LockoutPolicy): ThrottleState {
  const windowExpired = !state || now.getTime() - state.windowStartedAt.getTime() >= policy.windowSeconds * 1000;
  const lockExpired = !!state?.lockedUntil && state.lockedUntil.getTime() <= now.getTime();
  const fresh = windowExpired || lockExpired;
  const failures = fresh ? 1 : state!.failures + 1;
  const windowStartedAt = fresh ? now : state!.windowStartedAt;
  let lockedUntil = fresh ? null : state!.lockedUntil;
  if (failures >= policy.maxFailures && !lockedUntil) {
    lockedUntil = new Date(now.getTime() + policy.lockoutSeconds * 1000);
  }
  return { failures, windowStartedAt, lockedUntil };
}
