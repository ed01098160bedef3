import { afterFailure, LockoutPolicy, secondsLocked, ThrottleState } from './login-lockout.policy';

const policy: LockoutPolicy = { maxFailures: 3, windowSeconds: 60, lockoutSeconds: 300 };
const t0 = new Date('2025-01-01T00:00:00.000Z');
const at = (s: number) => new Date(t0.getTime() + s * 1000);

function fail(times: number, start: ThrottleState | null = null, stepSeconds = 1): ThrottleState {
  let state = start;
  for (let i = 0; i < times; i++) state = afterFailure(state, at(i * stepSeconds), policy);
  return state!;
}

describe('login lockout policy', () => {
  it('does not lock below the threshold', () => {
    const s = fail(2);
    expect(s.failures).toBe(2);
    expect(s.lockedUntil).toBeNull();
    expect(secondsLocked(s, at(2))).toBe(0);
  });

  it('locks for lockoutSeconds at the max-th failure within the window', () => {
    const s = fail(3); // failures at t=0,1,2
    expect(s.lockedUntil).toEqual(at(2 + 300));
    expect(secondsLocked(s, at(3))).toBe(299);
    expect(secondsLocked(s, at(302))).toBe(0);
  });

  it('rounds the remaining lock up to whole seconds', () => {
    const s = fail(3);
    expect(secondsLocked(s, new Date(at(301).getTime() + 500))).toBe(1);
  });

  it('forgets failures older than the window', () => {
    const s = fail(3, null, 40); // t=0, 40, 80: the third starts a new window
    expect(s.failures).toBe(1);
    expect(s.lockedUntil).toBeNull();
  });

  it('starts a fresh count once a lock has expired', () => {
    const locked = fail(3);
    const after = afterFailure(locked, at(400), { ...policy, windowSeconds: 10_000 });
    expect(after.failures).toBe(1);
    expect(after.lockedUntil).toBeNull();
  });

  it('keeps the original lock end when failures continue during the lock', () => {
    const locked = fail(3);
    const again = afterFailure(locked, at(10), policy);
    expect(again.lockedUntil).toEqual(locked.lockedUntil);
    expect(again.failures).toBe(4);
  });

  it('no state means not locked', () => {
    expect(secondsLocked(null, t0)).toBe(0);
  });
});
