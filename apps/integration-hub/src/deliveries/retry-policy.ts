/** Statuses of 4xx that are worth another try (RFC 9110 semantics; 429 = rate limited). */
const RETRYABLE_4XX = new Set([408, 409, 425, 429]);

export interface AttemptFailure {
  /** The target's status; 0 when no answer came. */
  status: number;
  /** Never retry: the request itself is wrong (4xx), the target is refused, or the provider said so. */
  permanent: boolean;
  /** Earliest next attempt the target asked for (Retry-After, rate-limit reset), in ms from now. */
  retryAfterMs?: number;
  /** Short, secret-free reason for the log. */
  reason: string;
}

/** `Retry-After` as seconds or an HTTP date → milliseconds from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/**
 * How long a target asked us to wait: `Retry-After`; GitHub's `x-ratelimit-remaining: 0` with
 * `x-ratelimit-reset` (epoch seconds); Discord's `x-ratelimit-reset-after` (seconds) or
 * `retry_after` in its 429 body. The longest of them wins.
 */
export function requestedDelayMs(headers: Record<string, string>, body: string, now: number): number | undefined {
  const candidates: number[] = [];
  const retryAfter = parseRetryAfter(headers['retry-after'], now);
  if (retryAfter !== undefined) candidates.push(retryAfter);
  if (headers['x-ratelimit-remaining'] === '0' && /^\d+$/.test(headers['x-ratelimit-reset'] ?? '')) {
    candidates.push(Math.max(0, Number(headers['x-ratelimit-reset']) * 1000 - now));
  }
  const resetAfter = headers['x-ratelimit-reset-after'];
  if (resetAfter && /^\d+(\.\d+)?$/.test(resetAfter)) candidates.push(Math.ceil(Number(resetAfter) * 1000));
  if (body && body.length < 4096 && body.includes('retry_after')) {
    try {
      const parsed = JSON.parse(body) as { retry_after?: unknown };
      if (typeof parsed.retry_after === 'number' && parsed.retry_after >= 0) candidates.push(Math.ceil(parsed.retry_after * 1000));
    } catch {
      /* not JSON: no hint */
    }
  }
  return candidates.length ? Math.max(...candidates) : undefined;
}

/** A non-2xx answer → a failure: 4xx final except 408/409/425/429 and rate-limit refusals (GitHub answers those with 403). */
export function classifyStatus(status: number, headers: Record<string, string>, body: string, now: number): AttemptFailure {
  const retryAfterMs = requestedDelayMs(headers, body, now);
  const excerpt = body.replace(/\s+/g, ' ').trim().slice(0, 200);
  const reason = `HTTP ${status}${excerpt ? `: ${excerpt}` : ''}`;
  if (status >= 300 && status < 400) return { status, permanent: true, reason: `HTTP ${status}: redirects are not followed` };
  if (status >= 400 && status < 500) {
    const rateLimited = status === 403 && (headers['x-ratelimit-remaining'] === '0' || retryAfterMs !== undefined);
    return { status, permanent: !RETRYABLE_4XX.has(status) && !rateLimited, retryAfterMs, reason };
  }
  return { status, permanent: false, retryAfterMs, reason };
}

/**
 * The wait before attempt `attemptsSoFar + 1`: the schedule's delay (the last one repeats) with
 * ±20% jitter, but never less than what the target asked for (capped at `maxRetryAfterMs`).
 */
export function nextDelayMs(scheduleMs: number[], attemptsSoFar: number, retryAfterMs: number | undefined, maxRetryAfterMs: number, random = Math.random): number {
  const base = scheduleMs[Math.min(attemptsSoFar - 1, scheduleMs.length - 1)] ?? scheduleMs[scheduleMs.length - 1];
  const jittered = Math.round(base * (0.8 + 0.4 * random()));
  return Math.max(jittered, Math.min(retryAfterMs ?? 0, maxRetryAfterMs));
}
