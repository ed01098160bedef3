import type Redis from 'ioredis';
import type { aiGatewayV1 } from '@aether/contracts';
import type { RoleLimits } from '../config/gateway-config';

/** A caller budgets apply to: the user, and the API key when the request came with one. */
export interface LimitSubject {
  /** `user:<id>` or `key:<id>`. */
  subject: string;
  /** The role defaults (config `limits`), overridden field by field by the admin API's values. */
  defaults: RoleLimits;
}

/** What one request reserves before the provider is called, and what it really used. */
export interface Amount {
  costUsd: number;
  tokens: number;
}

export type ReserveOutcome =
  | { ok: true; reservation: Reservation; rateLimit: aiGatewayV1.RateLimitState }
  | { ok: false; reason: 'budget' | 'requests' | 'tokens'; subject: string; retryAfterMs: number; rateLimit: aiGatewayV1.RateLimitState };

export interface Reservation {
  keys: string[];
  amount: Amount;
}

const FIELDS = ['usdPerDay', 'tokensPerMinute', 'requestsPerMinute'] as const;

/**
 * KEYS per subject (4 each): overrides hash, spend of the day (USD), requests of the minute,
 * tokens of the minute. ARGV: cost, tokens, dayTtlS, minuteTtlMs, then per subject the role's
 * usdPerDay, tokensPerMinute, requestsPerMinute (-1 = none). Checks every subject first and
 * writes only when all pass: the reservation is all-or-nothing, atomic across replicas.
 * Answer: {code, failedSubject, per subject: rpmLimit, requestsAfter, tpmLimit, tokensAfter}.
 */
const RESERVE = `
local n = #KEYS / 4
local cost, tokens = tonumber(ARGV[1]), tonumber(ARGV[2])
local limits = {}
local usage = {}
for i = 0, n - 1 do
  local o = redis.call('HMGET', KEYS[i*4+1], 'usdPerDay', 'tokensPerMinute', 'requestsPerMinute')
  local usd = tonumber(o[1] or ARGV[5+i*3])
  local tpm = tonumber(o[2] or ARGV[6+i*3])
  local rpm = tonumber(o[3] or ARGV[7+i*3])
  limits[i] = {usd, tpm, rpm}
  local spent = tonumber(redis.call('GET', KEYS[i*4+2]) or '0')
  local reqs = tonumber(redis.call('GET', KEYS[i*4+3]) or '0')
  local toks = tonumber(redis.call('GET', KEYS[i*4+4]) or '0')
  usage[i] = {reqs, toks}
  if usd >= 0 and spent + cost > usd + 1e-12 then return {1, i} end
  if rpm >= 0 and reqs + 1 > rpm then return {2, i} end
  if tpm >= 0 and toks + tokens > tpm then return {3, i} end
end
local out = {0, -1}
for i = 0, n - 1 do
  if limits[i][1] >= 0 then
    redis.call('INCRBYFLOAT', KEYS[i*4+2], cost)
    redis.call('EXPIRE', KEYS[i*4+2], tonumber(ARGV[3]))
  end
  if limits[i][3] >= 0 then
    redis.call('INCR', KEYS[i*4+3])
    redis.call('PEXPIRE', KEYS[i*4+3], tonumber(ARGV[4]))
  end
  if limits[i][2] >= 0 then
    redis.call('INCRBY', KEYS[i*4+4], tokens)
    redis.call('PEXPIRE', KEYS[i*4+4], tonumber(ARGV[4]))
  end
  table.insert(out, limits[i][3]); table.insert(out, usage[i][1] + 1)
  table.insert(out, limits[i][2]); table.insert(out, usage[i][2] + tokens)
end
return out
`;

/** KEYS as in RESERVE; ARGV: cost delta, token delta. Only counters that exist are adjusted. */
const SETTLE = `
local n = #KEYS / 4
for i = 0, n - 1 do
  if redis.call('EXISTS', KEYS[i*4+2]) == 1 then redis.call('INCRBYFLOAT', KEYS[i*4+2], ARGV[1]) end
  if redis.call('EXISTS', KEYS[i*4+4]) == 1 then redis.call('INCRBY', KEYS[i*4+4], ARGV[2]) end
end
return 1
`;

const num = (v: number | undefined) => (v === undefined ? -1 : v);

/**
 * Budgets (USD per UTC day) and rate limits (requests and tokens per minute) per user and per
 * API key, held in Redis so they hold across replicas. A request reserves its worst-case cost
 * and tokens atomically before the provider is called and settles the difference afterwards,
 * so N concurrent requests can overspend a budget by at most what settling adds over the
 * reservations — never by admitting requests the budget could not cover.
 */
export class Budgets {
  constructor(private readonly redis: Redis) {}

  private keysOf(subjects: LimitSubject[], now: Date): string[] {
    const day = now.toISOString().slice(0, 10);
    const minute = Math.floor(now.getTime() / 60_000);
    return subjects.flatMap((s) => [`limits:${s.subject}`, `spend:${s.subject}:${day}`, `rpm:${s.subject}:${minute}`, `tpm:${s.subject}:${minute}`]);
  }

  async reserve(subjects: LimitSubject[], amount: Amount, now = new Date()): Promise<ReserveOutcome> {
    const keys = this.keysOf(subjects, now);
    const args = [amount.costUsd, amount.tokens, 2 * 86_400, 120_000, ...subjects.flatMap((s) => [num(s.defaults.usdPerDay), num(s.defaults.tokensPerMinute), num(s.defaults.requestsPerMinute)])];
    const res = (await this.redis.eval(RESERVE, keys.length, ...keys, ...args)) as number[];
    const resetMs = 60_000 - (now.getTime() % 60_000);
    const code = Number(res[0]);
    if (code !== 0) {
      const subject = subjects[Number(res[1])].subject;
      const reason = code === 1 ? 'budget' : code === 2 ? 'requests' : 'tokens';
      const untilMidnight = 86_400_000 - (now.getTime() % 86_400_000);
      return { ok: false, reason, subject, retryAfterMs: reason === 'budget' ? untilMidnight : resetMs, rateLimit: emptyState() };
    }
    const state = emptyState();
    let first = true;
    for (let i = 2; i + 3 < res.length + 1; i += 4) {
      const [rpm, reqs, tpm, toks] = [Number(res[i]), Number(res[i + 1]), Number(res[i + 2]), Number(res[i + 3])];
      if (rpm >= 0 && (first || rpm - reqs < state.remainingRequests)) {
        state.limitRequests = rpm;
        state.remainingRequests = Math.max(0, rpm - reqs);
        state.resetRequestsMs = resetMs;
      }
      if (tpm >= 0 && (first || tpm - toks < state.remainingTokens)) {
        state.limitTokens = tpm;
        state.remainingTokens = Math.max(0, tpm - toks);
        state.resetTokensMs = resetMs;
      }
      first = false;
    }
    return { ok: true, reservation: { keys, amount }, rateLimit: state };
  }

  async settle(reservation: Reservation, actual: Amount): Promise<void> {
    const dCost = actual.costUsd - reservation.amount.costUsd;
    const dTokens = Math.round(actual.tokens - reservation.amount.tokens);
    if (dCost === 0 && dTokens === 0) return;
    await this.redis.eval(SETTLE, reservation.keys.length, ...reservation.keys, dCost, dTokens);
  }

  async overrides(subject: string): Promise<RoleLimits> {
    const raw = await this.redis.hgetall(`limits:${subject}`);
    const out: RoleLimits = {};
    for (const f of FIELDS) if (raw[f] !== undefined) out[f] = Number(raw[f]);
    return out;
  }

  async setOverrides(subject: string, values: RoleLimits): Promise<void> {
    const set: Record<string, string> = {};
    for (const f of FIELDS) if (values[f] !== undefined) set[f] = String(values[f]);
    if (Object.keys(set).length > 0) await this.redis.hset(`limits:${subject}`, set);
  }

  async spentToday(subject: string, now = new Date()): Promise<number> {
    return Number((await this.redis.get(`spend:${subject}:${now.toISOString().slice(0, 10)}`)) ?? 0);
  }
}

export function emptyState(): aiGatewayV1.RateLimitState {
  return { limitRequests: 0, remainingRequests: 0, limitTokens: 0, remainingTokens: 0, resetRequestsMs: 0, resetTokensMs: 0 };
}
