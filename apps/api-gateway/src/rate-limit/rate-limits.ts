import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimitClass } from './rate-limit.decorator';

export interface RateLimitPolicy {
  points: number;
  windowSeconds: number;
}

export type RateLimitPolicies = Record<RateLimitClass, RateLimitPolicy>;

/** The outcome of one request against its limit, with what the RateLimit-* headers say. */
export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets (also the Retry-After of a refusal). */
  resetSeconds: number;
}

/**
 * Fixed-window counters in Redis, shared by every gateway replica. Each Redis limiter has an
 * in-memory insurance limiter with the same policy: while Redis is unreachable, counting goes
 * on per process instead of failing requests (a Redis outage must never become a 500).
 */
export class RateLimits {
  private readonly logger = new Logger('RateLimits');
  private readonly limiters: Record<RateLimitClass, RateLimiterRedis>;

  constructor(redis: Redis, keyPrefix: string, readonly policies: RateLimitPolicies) {
    const make = (cls: RateLimitClass) => {
      const { points, windowSeconds } = policies[cls];
      return new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${keyPrefix}rl:${cls}`,
        points,
        duration: windowSeconds,
        // Go to the insurance limiter at once when the connection is down, not after a timeout.
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({ keyPrefix: `rl:${cls}`, points, duration: windowSeconds }),
      });
    };
    this.limiters = { default: make('default'), anonymous: make('anonymous'), auth: make('auth'), webhook: make('webhook') };
  }

  /** Spends one point of `key` in class `cls`. */
  async consume(cls: RateLimitClass, key: string): Promise<RateLimitDecision> {
    const limit = this.policies[cls].points;
    try {
      const res = await this.limiters[cls].consume(key);
      return { allowed: true, limit, remaining: res.remainingPoints, resetSeconds: toSeconds(res.msBeforeNext) };
    } catch (err) {
      if (err instanceof RateLimiterRes) {
        return { allowed: false, limit, remaining: 0, resetSeconds: Math.max(1, toSeconds(err.msBeforeNext)) };
      }
      // Both stores failed (should not happen: the insurance is in memory). Serve rather than fail.
      this.logger.warn(`rate limiter failed, request let through: ${(err as Error)?.message ?? err}`);
      return { allowed: true, limit, remaining: limit, resetSeconds: this.policies[cls].windowSeconds };
    }
  }
}

function toSeconds(ms: number): number {
  return Math.max(0, Math.ceil(ms / 1000));
}
