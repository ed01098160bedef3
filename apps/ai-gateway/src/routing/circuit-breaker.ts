import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';

export interface BreakerSettings {
  failureThreshold: number;
  windowMs: number;
  openMs: number;
}

/**
 * State per deployment in one hash `breaker:<deployment>`: failures (count in the current window),
 * windowStart, state (closed | open | half_open), until (open: when a probe may go; half_open:
 * when the probe's lease ends). Times are Redis' own clock, so replicas agree.
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local state = redis.call('HGET', KEYS[1], 'state')
if not state or state == 'closed' then
  if tonumber(redis.call('HGET', KEYS[1], 'failures') or '0') > 0 then return 3 end
  return 1
end
local untilMs = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if now < untilMs then return 0 end
redis.call('HSET', KEYS[1], 'state', 'half_open', 'until', now + tonumber(ARGV[1]))
return 2
`;

const FAILURE = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local threshold, windowMs, openMs = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'half_open' or state == 'open' then
  redis.call('HSET', KEYS[1], 'state', 'open', 'until', now + openMs, 'failures', 0)
  redis.call('PEXPIRE', KEYS[1], openMs + windowMs + 60000)
  return 1
end
local start = tonumber(redis.call('HGET', KEYS[1], 'windowStart') or '0')
if now - start > windowMs then
  redis.call('HSET', KEYS[1], 'windowStart', now, 'failures', 0)
end
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
redis.call('PEXPIRE', KEYS[1], windowMs + openMs + 60000)
if failures >= threshold then
  redis.call('HSET', KEYS[1], 'state', 'open', 'until', now + openMs, 'failures', 0)
  return 1
end
return 0
`;

/** closed_dirty: closed, with failures counted in the current window (a success clears them). */
export type BreakerPermit = 'closed' | 'closed_dirty' | 'probe' | 'open';

/**
 * A circuit breaker per deployment, shared by every replica through Redis: repeated failures
 * open it (the deployment is skipped), after `openMs` one caller gets the half-open probe (the
 * others still skip it), a success closes it, a failure re-opens it. cockatiel/opossum keep
 * their state in the process, which is exactly what must not happen here, so this is the
 * same state machine in two Lua scripts. Redis down: every deployment counts as closed (the
 * gateway degrades to plain retries and fallbacks instead of refusing work).
 */
export class CircuitBreakers {
  private readonly logger = new Logger('CircuitBreakers');

  constructor(
    private readonly redis: Redis,
    private readonly settings: BreakerSettings,
  ) {}

  private key(deployment: string): string {
    return `breaker:${deployment}`;
  }

  async acquire(deployment: string): Promise<BreakerPermit> {
    try {
      const r = Number(await this.redis.eval(ACQUIRE, 1, this.key(deployment), Math.max(this.settings.openMs, 1000)));
      return r === 1 ? 'closed' : r === 3 ? 'closed_dirty' : r === 2 ? 'probe' : 'open';
    } catch (err) {
      this.logger.warn(`breaker state unavailable, treating ${deployment} as closed: ${(err as Error).message}`);
      return 'closed';
    }
  }

  async success(deployment: string, permit: BreakerPermit): Promise<void> {
    try {
      // A success only needs a write when something was recorded (keeps the hot path at one call).
      if (permit === 'probe') await this.redis.del(this.key(deployment));
      else if (permit === 'closed_dirty') await this.redis.hdel(this.key(deployment), 'failures');
    } catch {
      // best effort
    }
  }

  async failure(deployment: string): Promise<boolean> {
    try {
      const opened = Number(await this.redis.eval(FAILURE, 1, this.key(deployment), this.settings.failureThreshold, this.settings.windowMs, this.settings.openMs));
      if (opened === 1) this.logger.warn(`circuit opened for ${deployment}`);
      return opened === 1;
    } catch {
      return false;
    }
  }

  async state(deployment: string): Promise<string> {
    try {
      return (await this.redis.hget(this.key(deployment), 'state')) ?? 'closed';
    } catch {
      return 'closed';
    }
  }
}
