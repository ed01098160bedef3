import type { JSONWebKeySet } from 'jose';

export const AUTH_OPTIONS = Symbol('AUTH_OPTIONS');

export const DEFAULT_AUTH_ISSUER = 'aether-security';
export const DEFAULT_AUTH_AUDIENCE = 'aether';

export interface AuthModuleOptions {
  issuer: string;
  audience: string;
  /** Where the security service publishes its public keys. Exactly one of jwksUrl / localJwks. */
  jwksUrl?: string;
  /** For the security service itself: its current public key set (called per verification). */
  localJwks?: () => Promise<JSONWebKeySet>;
  /** Accepted clock skew for exp/iat/nbf, seconds. Default 5. */
  clockToleranceSec?: number;
  /** JWKS fetch timeout; a slow key endpoint must not hold requests. Default 1000 ms. */
  jwksTimeoutMs?: number;
  /** Minimum gap between refetches triggered by an unknown `kid`. Default 30 000 ms. */
  jwksCooldownMs?: number;
  /** Keys are refreshed in the background this often (stale keys stay usable meanwhile). Default 600 000 ms. */
  jwksRefreshMs?: number;
}

export type ResolvedAuthOptions = Required<Omit<AuthModuleOptions, 'jwksUrl' | 'localJwks'>> &
  Pick<AuthModuleOptions, 'jwksUrl' | 'localJwks'>;

/** A misconfiguration found at start-up; the message names the variable or option. */
export class AuthConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthConfigError';
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

function nonNegativeInt(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) {
    throw new AuthConfigError(`auth option ${name} must be a non-negative integer, got ${value}`);
  }
  return value;
}

/** Checks options given in code (forRootAsync) and fills defaults. */
export function resolveAuthOptions(options: AuthModuleOptions): ResolvedAuthOptions {
  const { issuer, audience, jwksUrl, localJwks } = options;
  if (typeof issuer !== 'string' || issuer.trim() === '') {
    throw new AuthConfigError('auth option issuer must be a non-empty string');
  }
  if (typeof audience !== 'string' || audience.trim() === '') {
    throw new AuthConfigError('auth option audience must be a non-empty string');
  }
  if ((jwksUrl === undefined) === (localJwks === undefined)) {
    throw new AuthConfigError('auth options need exactly one of jwksUrl or localJwks');
  }
  if (jwksUrl !== undefined && !isHttpUrl(jwksUrl)) {
    throw new AuthConfigError(`auth option jwksUrl must be an http(s) URL, got "${jwksUrl}"`);
  }
  if (localJwks !== undefined && typeof localJwks !== 'function') {
    throw new AuthConfigError('auth option localJwks must be a function returning a JWKS');
  }
  return {
    issuer,
    audience,
    jwksUrl,
    localJwks,
    clockToleranceSec: nonNegativeInt(options.clockToleranceSec, 5, 'clockToleranceSec'),
    jwksTimeoutMs: nonNegativeInt(options.jwksTimeoutMs, 1000, 'jwksTimeoutMs'),
    jwksCooldownMs: nonNegativeInt(options.jwksCooldownMs, 30_000, 'jwksCooldownMs'),
    jwksRefreshMs: nonNegativeInt(options.jwksRefreshMs, 600_000, 'jwksRefreshMs'),
  };
}

/** The auth variables of a service's env (see AuthEnv). */
export interface AuthVariables {
  AUTH_JWKS_URL?: string;
  AUTH_ISSUER?: string;
  AUTH_AUDIENCE?: string;
}

/** Reads AUTH_JWKS_URL / AUTH_ISSUER / AUTH_AUDIENCE from a (validated) env; errors name the variable. */
export function authOptionsFromEnv(env: Readonly<AuthVariables>, overrides: Partial<AuthModuleOptions> = {}): ResolvedAuthOptions {
  const jwksUrl = env.AUTH_JWKS_URL?.trim();
  if (!jwksUrl) {
    throw new AuthConfigError(
      'AUTH_JWKS_URL is required (e.g. http://security:9101/.well-known/jwks.json)',
    );
  }
  if (!isHttpUrl(jwksUrl)) {
    throw new AuthConfigError(`AUTH_JWKS_URL must be an http(s) URL, got "${jwksUrl}"`);
  }
  const issuer = env.AUTH_ISSUER === undefined ? DEFAULT_AUTH_ISSUER : env.AUTH_ISSUER.trim();
  if (!issuer) throw new AuthConfigError('AUTH_ISSUER must not be empty');
  const audience = env.AUTH_AUDIENCE === undefined ? DEFAULT_AUTH_AUDIENCE : env.AUTH_AUDIENCE.trim();
  if (!audience) throw new AuthConfigError('AUTH_AUDIENCE must not be empty');
  return resolveAuthOptions({ issuer, audience, jwksUrl, ...overrides });
}
