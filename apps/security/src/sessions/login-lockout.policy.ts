import { isIPv4, isIPv6 } from 'node:net';

/**
 * Login lockout rules, free of storage so they can be unit-tested: `maxFailures` failed logins
 * within `windowSeconds` lock a counter for `lockoutSeconds`. Each account has two counters: one
 * per client (account + client IP, a low limit) and one for all its clients (a higher limit), so
 * a stranger who knows an email cannot lock its owner out from another address, while guessing
 * spread over many addresses still stops.
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

/** The counter every client of an account shares: the slower limit that stops distributed guessing. */
export const ACCOUNT_SCOPE = 'account';

/**
 * The counter of one client of an account: its IP address; IPv6 by /64, the block one host
 * usually holds (a client cycling through its own addresses stays one client). IPv4-mapped
 * IPv6 counts as the IPv4 address. Calls that carry no client IP share one counter.
 */
export function clientScope(ip: string | undefined): string {
  const address = (ip ?? '').split('%')[0].trim().toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address);
  if (mapped) return `ip:${mapped[1]}`;
  if (isIPv4(address)) return `ip:${address}`;
  if (isIPv6(address)) return `ip:${ipv6Groups(address).slice(0, 4).join(':')}::/64`;
  return 'ip:unknown';
}

/** The eight 16-bit groups of a valid IPv6 address, as short hex (`::` expanded). */
function ipv6Groups(address: string): string[] {
  const [head, tail] = address.split('::');
  const groups = (part: string | undefined) =>
    (part ? part.split(':') : []).flatMap((g) => (g.includes('.') ? ipv4AsGroups(g) : [g]));
  const h = groups(head);
  const t = groups(tail);
  const zeros = tail === undefined ? [] : Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...zeros, ...t].map((g) => parseInt(g, 16).toString(16));
}

function ipv4AsGroups(v4: string): string[] {
  const [a, b, c, d] = v4.split('.').map(Number);
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
}
