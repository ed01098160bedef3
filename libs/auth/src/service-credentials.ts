import type { Metadata } from '@grpc/grpc-js';
import { bearerMetadata } from './grpc-metadata';

/** What the security service answers to a client-credentials exchange. */
export interface IssuedServiceToken {
  accessToken: string;
  /** Seconds until the token expires. */
  expiresIn: number;
}

/** Fetches a fresh service token (security's IssueServiceToken in production, anything in tests). */
export type ServiceTokenFetcher = () => Promise<IssuedServiceToken>;

export interface ServiceTokenProviderOptions {
  /**
   * Renew this long before expiry, so a token handed out is still valid when the callee checks
   * it (clock skew, queueing). Capped at half the token's lifetime.
   */
  refreshMarginSeconds?: number;
  now?: () => number;
}

/**
 * A service's own access token (client credentials), for calls no user is behind: fetched on
 * first use, reused until `refreshMarginSeconds` before it expires, then fetched again. Callers
 * that arrive while a fetch runs share it (single flight), so a burst costs one exchange. A
 * failed fetch is not cached: the next call tries again.
 */
export class ServiceTokenProvider {
  private current?: { token: string; renewAt: number; expiresAt: number };
  private inFlight?: Promise<string>;
  private readonly marginMs: number;
  private readonly now: () => number;

  constructor(
    private readonly fetchToken: ServiceTokenFetcher,
    options: ServiceTokenProviderOptions = {},
  ) {
    this.marginMs = (options.refreshMarginSeconds ?? 60) * 1000;
    this.now = options.now ?? Date.now;
  }

  /** A valid access token (no "Bearer " prefix). */
  async token(): Promise<string> {
    const now = this.now();
    if (this.current && now < this.current.renewAt) return this.current.token;
    return (this.inFlight ??= this.refresh().finally(() => (this.inFlight = undefined)));
  }

  /** Outgoing gRPC metadata carrying the service token: `authorization: Bearer <token>`. */
  async metadata(): Promise<Metadata> {
    return bearerMetadata(await this.token());
  }

  /** Forget the cached token (e.g. after a callee answered UNAUTHENTICATED: keys rotated). */
  invalidate(): void {
    this.current = undefined;
  }

  private async refresh(): Promise<string> {
    const started = this.now();
    const issued = await this.fetchToken();
    if (!issued.accessToken || !(issued.expiresIn > 0)) throw new Error('The security service returned no usable service token');
    const lifetimeMs = issued.expiresIn * 1000;
    const expiresAt = started + lifetimeMs;
    this.current = { token: issued.accessToken, expiresAt, renewAt: expiresAt - Math.min(this.marginMs, lifetimeMs / 2) };
    return issued.accessToken;
  }
}
