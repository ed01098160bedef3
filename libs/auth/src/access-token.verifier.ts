import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { DomainError, UnauthenticatedError } from '@aether/service-kit';
import type { ResolvedAuthOptions } from './auth.options';
import { localKeySource, remoteKeySource, type KeyResolver } from './key-source';
import { SERVICE_SUBJECT_PREFIX, serviceSubject, type Principal } from './principal';
import { isPermission, isRole } from './roles';

/** Inject with `@Inject(ACCESS_TOKEN_VERIFIER) verifier: AccessTokenVerifier`. */
export const ACCESS_TOKEN_VERIFIER = Symbol('ACCESS_TOKEN_VERIFIER');

export interface AccessTokenVerifier {
  /**
   * Resolves the caller of a raw access token (no "Bearer " prefix).
   * Throws UnauthenticatedError (TOKEN_MISSING | TOKEN_INVALID | TOKEN_EXPIRED) for a bad token and
   * UnavailableError when the signing keys cannot be obtained.
   */
  verify(token: string | undefined | null): Promise<Principal>;
  /**
   * The caller of a token this verifier has already verified and still remembers (what verify
   * would resolve to, without a promise), else undefined: the hot path of a token used again.
   */
  peek?(token: string): Principal | undefined;
}

/** The custom claims the security service signs (besides iss, aud, iat, exp). */
export interface AccessTokenClaims {
  sub: string;
  email: string;
  roles: string[];
  perms: string[];
  /** Refresh-token family (logins). */
  sid?: string;
  /** API key id (tokens from the gateway's API-key exchange). */
  akid?: string;
  /** Service (client id) of a client-credentials token; `sub` is then `service:<svc>`. */
  svc?: string;
}

/** Access tokens are only ever ES256; pinning the algorithm rules out alg confusion (none/HS256). */
const ALGORITHMS = ['ES256'];

const tokenMissing = () =>
  new UnauthenticatedError('TOKEN_MISSING', 'An access token is required');
const tokenInvalid = () => new UnauthenticatedError('TOKEN_INVALID', 'The access token is not valid');
const tokenExpired = () => new UnauthenticatedError('TOKEN_EXPIRED', 'The access token has expired');

/**
 * Takes the token out of an `authorization` value (`Bearer <jwt>`, scheme case-insensitive).
 * Absent/empty → TOKEN_MISSING; another scheme or a malformed value → TOKEN_INVALID.
 */
export function extractBearerToken(value: unknown): string {
  if (value === undefined || value === null || value === '') throw tokenMissing();
  if (typeof value !== 'string') throw tokenInvalid();
  const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(value);
  if (!match) throw tokenInvalid();
  return match[1];
}

function stringArray(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;
}

function optionalString(value: unknown): string | undefined | null {
  if (value === undefined) return undefined;
  return typeof value === 'string' && value !== '' ? value : null;
}

/** Claims → Principal; a signed token with a malformed claim is still an invalid token. */
function toPrincipal(payload: JWTPayload, accessToken: string): Principal {
  const { sub } = payload;
  const email = payload.email;
  const roles = stringArray(payload.roles);
  const perms = stringArray(payload.perms);
  const sid = optionalString(payload.sid);
  const akid = optionalString(payload.akid);
  const svc = optionalString(payload.svc);
  if (typeof sub !== 'string' || sub === '' || typeof email !== 'string' || !roles || !perms) {
    throw tokenInvalid();
  }
  if (sid === null || akid === null || svc === null) throw tokenInvalid();
  // A service token is exactly that: sub service:<svc>, no roles, no session or API key. And a
  // token without svc never gets a service-looking subject, so the two kinds cannot be confused.
  if (svc !== undefined && (sub !== serviceSubject(svc) || roles.length > 0 || sid !== undefined || akid !== undefined)) throw tokenInvalid();
  if (svc === undefined && sub.startsWith(SERVICE_SUBJECT_PREFIX)) throw tokenInvalid();
  const principal: Principal = {
    userId: sub,
    email,
    roles: roles.filter(isRole),
    permissions: perms.filter(isPermission),
    accessToken,
  };
  if (akid !== undefined) principal.apiKeyId = akid;
  if (sid !== undefined) principal.sessionId = sid;
  if (svc !== undefined) principal.serviceId = svc;
  return principal;
}

function toDomainError(err: unknown): unknown {
  if (err instanceof DomainError) return err; // UnavailableError from the key source, our own 401s
  if (err instanceof joseErrors.JWTExpired) return tokenExpired();
  if (err instanceof joseErrors.JOSEError) return tokenInvalid();
  return err; // a bug, not a credential problem: let the kit report it as internal
}

/**
 * Remembers tokens whose signature and claims were verified, so a token used for many requests
 * costs one ES256 verification (~7 % of a hop's CPU in profiles) instead of one per request. An
 * entry lives until the token expires but at most `maxAgeMs`, which bounds how long a token keeps
 * working after its signing key is withdrawn from the JWKS.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, { principal: Principal; until: number }>();
  constructor(
    private readonly maxEntries = 10_000,
    private readonly maxAgeMs = 60_000,
  ) {}

  get(token: string, now = Date.now()): Principal | undefined {
    const hit = this.entries.get(token);
    if (!hit) return undefined;
    if (hit.until <= now) {
      this.entries.delete(token);
      return undefined;
    }
    return { ...hit.principal, roles: [...hit.principal.roles], permissions: [...hit.principal.permissions] };
  }

  set(token: string, principal: Principal, expiresAtMs: number, now = Date.now()): void {
    if (this.entries.size >= this.maxEntries) {
      // Maps iterate in insertion order: drop the oldest entry.
      this.entries.delete(this.entries.keys().next().value as string);
    }
    this.entries.set(token, { principal, until: Math.min(expiresAtMs, now + this.maxAgeMs) });
  }

  get size(): number {
    return this.entries.size;
  }
}

/** Verifies the security service's access tokens with jose (signature, alg, iss, aud, exp). */
/** Built by AuthModule's factory (options are a plain object, not an injectable). */
export class JwtAccessTokenVerifier implements AccessTokenVerifier {
  private readonly keys: KeyResolver;
  readonly cache = new VerifiedTokenCache();

  constructor(private readonly options: ResolvedAuthOptions) {
    this.keys = options.localJwks
      ? localKeySource(options.localJwks)
      : remoteKeySource(options.jwksUrl as string, {
          timeoutMs: options.jwksTimeoutMs,
          cooldownMs: options.jwksCooldownMs,
          refreshMs: options.jwksRefreshMs,
        });
  }

  peek(token: string): Principal | undefined {
    return token ? this.cache.get(token) : undefined;
  }

  async verify(token: string | undefined | null): Promise<Principal> {
    if (token === undefined || token === null || token === '') throw tokenMissing();
    const cached = this.cache.get(token);
    if (cached) return cached;
    try {
      const { payload } = await jwtVerify(token, this.keys, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: ALGORITHMS,
        clockTolerance: this.options.clockToleranceSec,
        requiredClaims: ['sub', 'exp', 'iat'],
      });
      const principal = toPrincipal(payload, token);
      this.cache.set(token, principal, (payload.exp as number) * 1000);
      return principal;
    } catch (err) {
      throw toDomainError(err);
    }
  }
}
