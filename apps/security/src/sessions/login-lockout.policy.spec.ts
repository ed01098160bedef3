import { afterFailure, clientScope, LockoutPolicy, secondsLocked, ThrottleState } from './login-lockout.policy';

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

describe('client scope of a login', () => {
  it('is the IPv4 address, also when IPv4-mapped', () => {
    expect(clientScope('203.0.113.9')).toBe('ip:203.0.113.9');
    expect(clientScope('::ffff:203.0.113.9')).toBe('ip:203.0.113.9');
  });

  it('groups IPv6 by /64, whatever the notation', () => {
    const scope = 'ip:2001:db8:0:1::/64';
    for (const ip of ['2001:db8:0:1::1', '2001:0DB8:0000:0001:ffff:ffff:ffff:ffff', '2001:db8::1:0:0:0:7', 'fe80::1%eth0'.replace('fe80::1', '2001:db8:0:1::9')]) {
      expect([ip, clientScope(ip)]).toEqual([ip, scope]);
    }
    expect(clientScope('2001:db8:0:2::1')).not.toBe(scope);
    expect(clientScope('::1')).toBe('ip:0:0:0:0::/64');
    expect(clientScope('64:ff9b::192.0.2.33')).toBe('ip:64:ff9b:0:0::/64');
  });

  it('puts callers without a usable address into one scope', () => {
    expect(clientScope(undefined)).toBe('ip:unknown');
    expect(clientScope('')).toBe('ip:unknown');
    expect(clientScope('not an ip')).toBe('ip:unknown');
  });
});

