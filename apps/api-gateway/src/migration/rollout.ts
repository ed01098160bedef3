import { createHash } from 'node:crypto';
import type { Route, Side } from './route';

/**
 * The caller's bucket on a route, in [0, 100): the first 32 bits of SHA-256(prefix ‖ caller)
 * scaled to 0–100. Stable across replicas and restarts; keyed by the prefix so each route
 * draws its own cohort. A caller is on `new` while bucket < rolloutPercent, so raising the
 * percentage only ever adds callers to `new` (nobody moves back to legacy) and lowering it only
 * removes them.
 */
export function rolloutBucket(prefix: string, callerKey: string): number {
  const digest = createHash('sha256').update(prefix).update('\0').update(callerKey).digest();
  return (digest.readUInt32BE(0) / 0x1_0000_0000) * 100;
}

/** Who serves `callerKey` (`user:<id>`, or `ip:<address>` when anonymous) on `route`. */
export function sideFor(route: Route, callerKey: string | undefined): Side {
  if (route.target === 'new' || route.rolloutPercent >= 100) return 'new';
  if (route.rolloutPercent <= 0 || callerKey === undefined) return 'legacy';
  return rolloutBucket(route.prefix, callerKey) < route.rolloutPercent ? 'new' : 'legacy';
}

