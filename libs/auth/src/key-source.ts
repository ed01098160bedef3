import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors as joseErrors,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from 'jose';
import { UnavailableError } from '@aether/service-kit';

/** What jwtVerify accepts as a key: picks the key for a token's header (by `kid`). */
export type KeyResolver = JWTVerifyGetKey;

/**
 * A token problem (no key with that kid) stays a jose error so the verifier reports TOKEN_INVALID;
 * any failure to obtain the key set itself is an outage of the key source → UnavailableError
 * (503), never a 401, so clients do not throw away valid tokens.
 */
function asKeySourceError(err: unknown, what: string): unknown {
  if (err instanceof joseErrors.JWKSNoMatchingKey || err instanceof joseErrors.JWKSMultipleMatchingKeys) {
    return err;
  }
  return new UnavailableError(`The access-token key set is unavailable (${what})`, 'AUTH_KEYS_UNAVAILABLE');
}

export interface RemoteKeySourceOptions {
  timeoutMs: number;
  cooldownMs: number;
  refreshMs: number;
}

/**
 * Keys from the security service's JWKS endpoint. jose caches them and refetches when a token
 * names an unknown kid (at most once per cooldown). jose's own max-age would make every request
 * wait on — and fail with — the endpoint once the cache ages; instead the cache never expires and
 * is refreshed in the background, so a brief security outage does not stop verification.
 */
export function remoteKeySource(url: string, opts: RemoteKeySourceOptions): KeyResolver {
  const jwks = createRemoteJWKSet(new URL(url), {
    timeoutDuration: opts.timeoutMs,
    cooldownDuration: opts.cooldownMs,
    cacheMaxAge: Infinity,
  });
  let nextRefreshAt = 0;
  const refreshInBackground = () => {
    const now = Date.now();
    if (now < nextRefreshAt || jwks.reloading || jwks.jwks() === undefined) return;
    nextRefreshAt = now + opts.refreshMs;
    jwks.reload().catch(() => {
      // Keep the old keys; try again after a cooldown rather than a whole refresh period.
      nextRefreshAt = Date.now() + opts.cooldownMs;
    });
  };
  return async (header, token) => {
    refreshInBackground();
    try {
      const key = await jwks(header, token);
      if (nextRefreshAt === 0) nextRefreshAt = Date.now() + opts.refreshMs;
      return key;
    } catch (err) {
      throw asKeySourceError(err, err instanceof joseErrors.JWKSTimeout ? 'timeout' : 'fetch failed');
    }
  };
}

/** Keys held in-process (the security service verifying its own tokens). */
export function localKeySource(load: () => Promise<JSONWebKeySet>): KeyResolver {
  // Rebuilding jose's key set only when `load` returns a different object keeps imported keys cached.
  let cached: { jwks: JSONWebKeySet; resolver: ReturnType<typeof createLocalJWKSet> } | undefined;
  return async (header, token) => {
    let jwks: JSONWebKeySet;
    try {
      jwks = await load();
    } catch {
      throw asKeySourceError(undefined, 'local key set failed to load');
    }
    if (!cached || cached.jwks !== jwks) cached = { jwks, resolver: createLocalJWKSet(jwks) };
    return cached.resolver(header, token);
  };
}
