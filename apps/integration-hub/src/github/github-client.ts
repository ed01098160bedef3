import {
  DomainError, NotFoundError, PreconditionFailedError, RateLimitedError, UnavailableError, ValidationError, type FieldViolation,
} from '@aether/service-kit';
import { setTimeout as sleep } from 'node:timers/promises';
import { CircuitBreakers } from '../deliveries/circuit-breaker';
import { OutboundBlockedError, OutboundTimeoutError, type OutboundHttp, type OutboundResponse } from '../outbound/outbound-http';

const USER_AGENT = 'aether-integration-hub/1';
const API_VERSION = '2022-11-28';

/** Where and as whom: a connection's API base URL and its decrypted token (never logged or returned). */
export interface GithubTarget {
  connectionId: string;
  apiBaseUrl: string;
  token: string;
}

export interface GithubCall {
  method: 'GET' | 'POST';
  /** Path and query below the API base URL, already encoded. */
  path: string;
  body?: unknown;
  accept?: string;
  maxResponseBytes?: number;
}

export interface GithubAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  bytes: Buffer;
}

export interface GithubClientOptions {
  /** GETs are retried this many times on a network error, timeout or 5xx (a POST never: it could post twice). */
  getRetries: number;
  retryDelayMs: number;
  breakerThreshold: number;
  breakerCooldownMs: number;
}

/** The rel="next" page number of a Link header (GitHub's pagination), or undefined on the last page. */
export function nextPageOf(link: string | undefined): number | undefined {
  for (const part of (link ?? '').split(',')) {
    const m = /<([^>]*)>\s*;\s*rel="?next"?/.exec(part);
    if (!m) continue;
    try {
      const page = Number(new URL(m[1]).searchParams.get('page'));
      return Number.isInteger(page) && page > 0 ? page : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** GitHub's error texts: `message`, and each of `errors` (strings, or {resource, field, code, message}). */
export function githubErrors(body: string): { message: string; errors: string[] } {
  let parsed: { message?: unknown; errors?: unknown } | undefined;
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    parsed = undefined;
  }
  const message = typeof parsed?.message === 'string' ? parsed.message : '';
  const errors = Array.isArray(parsed?.errors)
    ? parsed.errors.map((e: unknown) => {
        if (typeof e === 'string') return e;
        const o = (e ?? {}) as Record<string, unknown>;
        if (typeof o.message === 'string') return o.message;
        return [o.resource, o.field, o.code].filter((x) => typeof x === 'string').join(' ') || JSON.stringify(o);
      })
    : [];
  return { message, errors };
}

/**
 * The GitHub REST API through the hub's outbound client (address policy, timeout, size cap), with
 * the connection's token added here and nowhere else. One circuit per connection: after
 * `breakerThreshold` consecutive unavailable answers, calls fail fast (503) for the cool-down.
 * Errors are the hub's domain errors; none carries the token (it is scrubbed from any text).
 */
export class GithubClient {
  private readonly breakers: CircuitBreakers;

  constructor(
    private readonly http: OutboundHttp,
    private readonly options: GithubClientOptions,
  ) {
    this.breakers = new CircuitBreakers(options.breakerThreshold, options.breakerCooldownMs);
  }

  async call(target: GithubTarget, call: GithubCall): Promise<GithubAnswer> {
    const attempts = call.method === 'GET' ? 1 + this.options.getRetries : 1;
    let last: DomainError | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (this.breakers.allowance(target.connectionId, 1) === 0) {
        throw new UnavailableError('GitHub is failing for this connection; calls are paused for a moment', 'GITHUB_UNAVAILABLE');
      }
      if (attempt > 1) await sleep(this.options.retryDelayMs * 2 ** (attempt - 2));
      let res: OutboundResponse;
      try {
        res = await this.send(target, call);
      } catch (err) {
        if (err instanceof OutboundBlockedError) throw new PreconditionFailedError('GITHUB_UNREACHABLE', scrub(`The GitHub API address is not allowed: ${err.message}`, target.token));
        this.breakers.failed(target.connectionId);
        last = new UnavailableError(err instanceof OutboundTimeoutError ? 'GitHub did not answer in time' : 'GitHub could not be reached', 'GITHUB_UNAVAILABLE');
        continue;
      }
      if (res.status >= 500 || res.status === 0) {
        this.breakers.failed(target.connectionId);
        last = new UnavailableError(`GitHub answered ${res.status}`, 'GITHUB_UNAVAILABLE');
        continue;
      }
      this.breakers.succeeded(target.connectionId);
      if (res.truncated) throw new ValidationError('GitHub\'s answer is larger than this hub reads', [{ field: 'github', message: 'answer too large' }], 'GITHUB_ANSWER_TOO_LARGE');
      if (res.status >= 200 && res.status < 300) return { status: res.status, headers: res.headers, body: res.body, bytes: res.bytes ?? Buffer.from(res.body) };
      throw refusal(res, target.token);
    }
    throw last!;
  }

  private send(target: GithubTarget, call: GithubCall): Promise<OutboundResponse> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${target.token}`,
      accept: call.accept ?? 'application/vnd.github+json',
      'x-github-api-version': API_VERSION,
      'user-agent': USER_AGENT,
    };
    const url = `${target.apiBaseUrl.replace(/\/+$/, '')}${call.path}`;
    if (call.method === 'GET') return this.http.get({ url, headers, maxResponseBytes: call.maxResponseBytes });
    return this.http.post({ url, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(call.body ?? {}), maxResponseBytes: call.maxResponseBytes });
  }
}

function scrub(text: string, token: string): string {
  return token ? text.split(token).join('[redacted]') : text;
}

/** A 4xx from GitHub as the status that says what it means to our caller. */
function refusal(res: OutboundResponse, token: string): DomainError {
  const { message, errors } = githubErrors(res.body);
  const said = scrub(message || `GitHub answered ${res.status}`, token).slice(0, 300);
  const rateLimited = res.status === 429 || (res.status === 403 && (res.headers['x-ratelimit-remaining'] === '0' || res.headers['retry-after'] !== undefined));
  if (rateLimited) {
    const reset = Number(res.headers['x-ratelimit-reset']);
    const retryAfter = Number(res.headers['retry-after']) || (reset > 0 ? Math.max(1, Math.ceil(reset - Date.now() / 1000)) : 60);
    return new RateLimitedError(`GitHub rate limit: ${said}`, Math.min(retryAfter, 3600), 'GITHUB_RATE_LIMITED');
  }
  if (res.status === 401 || res.status === 403) return new PreconditionFailedError('GITHUB_TOKEN_REJECTED', `GitHub refused the connection's token (${res.status}): ${said}`);
  if (res.status === 404) return new NotFoundError(`GitHub: ${said}`, 'GITHUB_NOT_FOUND');
  if (res.status === 422) {
    // GitHub's own list, faithfully: the caller decides what to move or drop (e.g. comments on lines outside the diff).
    const violations: FieldViolation[] = (errors.length ? errors : [said]).map((e) => ({ field: 'github', message: scrub(e, token).slice(0, 500) }));
    return new ValidationError(`GitHub refused the request (422): ${said}`, violations, 'GITHUB_UNPROCESSABLE');
  }
  return new PreconditionFailedError('GITHUB_REFUSED', `GitHub refused the request (${res.status}): ${said}`);
}
