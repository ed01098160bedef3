import { classifyStatus, nextDelayMs, parseRetryAfter, requestedDelayMs } from './retry-policy';

const NOW = Date.UTC(2030, 0, 1, 12, 0, 0);

describe('retry policy', () => {
  it('makes 4xx final except 408, 409, 425 and 429; 5xx are retried; redirects are final', () => {
    for (const s of [400, 401, 403, 404, 410, 422]) expect(classifyStatus(s, {}, '', NOW).permanent).toBe(true);
    for (const s of [408, 409, 425, 429, 500, 502, 503, 504]) expect(classifyStatus(s, {}, '', NOW).permanent).toBe(false);
    expect(classifyStatus(302, {}, '', NOW).permanent).toBe(true);
  });

  it("retries GitHub's rate-limit 403 until x-ratelimit-reset", () => {
    const reset = String(NOW / 1000 + 42);
    const f = classifyStatus(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }, '{"message":"API rate limit exceeded"}', NOW);
    expect(f).toMatchObject({ permanent: false, retryAfterMs: 42_000 });
    expect(classifyStatus(403, { 'retry-after': '60' }, '{"message":"secondary rate limit"}', NOW)).toMatchObject({ permanent: false, retryAfterMs: 60_000 });
  });

  it("reads Retry-After (seconds and HTTP date) and Discord's retry_after / X-RateLimit-Reset-After", () => {
    expect(parseRetryAfter('2', NOW)).toBe(2000);
    expect(parseRetryAfter(new Date(NOW + 5000).toUTCString(), NOW)).toBe(5000);
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(requestedDelayMs({}, '{"message":"You are being rate limited.","retry_after":1.5,"global":false}', NOW)).toBe(1500);
    expect(requestedDelayMs({ 'x-ratelimit-reset-after': '3.25' }, '', NOW)).toBe(3250);
  });

  it('waits the jittered schedule, never less than the target asked for, within the cap', () => {
    const schedule = [1000, 5000];
    expect(nextDelayMs(schedule, 1, undefined, 3_600_000, () => 0)).toBe(800);
    expect(nextDelayMs(schedule, 1, undefined, 3_600_000, () => 1)).toBe(1200);
    expect(nextDelayMs(schedule, 9, undefined, 3_600_000, () => 0.5)).toBe(5000);
    expect(nextDelayMs(schedule, 1, 2000, 3_600_000, () => 0.5)).toBe(2000);
    expect(nextDelayMs(schedule, 1, 86_400_000, 60_000, () => 0.5)).toBe(60_000);
  });
});
