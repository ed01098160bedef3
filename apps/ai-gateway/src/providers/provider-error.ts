/**
 * Why a provider call failed, in the terms routing decides on:
 * - rate_limited, server, timeout, connection: retried (backoff, Retry-After), then the next target;
 * - auth, not_found: this deployment cannot serve (bad key, unknown model there): next target, no retry;
 * - context_length: only a larger-context target can serve it;
 * - bad_request: the request itself is wrong (a plain 400): answered as is, never retried elsewhere.
 */
export type ProviderFailure = 'rate_limited' | 'server' | 'timeout' | 'connection' | 'auth' | 'not_found' | 'context_length' | 'bad_request';

export class ProviderError extends Error {
  constructor(
    readonly failure: ProviderFailure,
    message: string,
    readonly status = 0,
    /** From Retry-After / retry-after-ms, when the provider sent one. */
    readonly retryAfterMs?: number,
    /** The parameter the provider named in a 400, if any. */
    readonly param?: string,
  ) {
    super(message);
    this.name = 'ProviderError';
  }

  /** Worth another attempt on the same deployment. */
  get retryable(): boolean {
    return this.failure === 'rate_limited' || this.failure === 'server' || this.failure === 'timeout' || this.failure === 'connection';
  }

  /** Counts against the deployment's circuit breaker (its health, not the request's fault). */
  get unhealthy(): boolean {
    return this.retryable;
  }
}

/** Retry-After (seconds or HTTP date) and OpenAI's retry-after-ms, in milliseconds. */
export function retryAfterMsFrom(headers: Record<string, string | string[] | undefined>): number | undefined {
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  const ms = Number(first(headers['retry-after-ms']));
  if (first(headers['retry-after-ms']) !== undefined && Number.isFinite(ms) && ms >= 0) return ms;
  const raw = first(headers['retry-after']);
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

const CONTEXT_LENGTH = /context[_ ]length|context window|maximum context|prompt is too long|too many tokens|reduce the length/i;

/** Maps an HTTP error answer of a provider (status, its error message, code) to a failure. */
export function failureForStatus(status: number, message: string, code?: string): ProviderFailure {
  if (status === 429) return 'rate_limited';
  if (status === 408 || status === 409 || status >= 500) return 'server';
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not_found';
  if (code === 'context_length_exceeded' || CONTEXT_LENGTH.test(message)) return 'context_length';
  return 'bad_request';
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** A transport-level error (undici / node) as a ProviderError; undefined when it is something else. */
export function connectionFailure(err: unknown): ProviderError | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: string }).code;
    if (code && CONNECTION_CODES.has(code)) {
      return new ProviderError(code === 'UND_ERR_CONNECT_TIMEOUT' ? 'timeout' : 'connection', `connection failed (${code})`);
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
