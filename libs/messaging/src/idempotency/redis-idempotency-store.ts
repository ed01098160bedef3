import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { IdempotencyClaim, IdempotencyStore } from './idempotency-store';

export interface RedisIdempotencyOptions {
  /** How long a handled event id is remembered (default 7 days). */
  processedTtlSeconds?: number;
  /** In-progress lock: longer than a handler normally runs (default 60 s). */
  lockTtlMs?: number;
}

// Checking "processed" and taking the lock in one script: done in two steps, a consumer could read
// "not processed", then another finish and drop its lock, and the first would handle it again.
const CLAIM = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 1 end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
return 2`;
const COMPLETE = `
redis.call('SET', KEYS[1], '1', 'EX', ARGV[2])
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return 0`;
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * Keys: `<queue>:processed:<eventId>` (set only after the handler succeeded, with a TTL) and
 * `<queue>:processing:<eventId>` (short lock against concurrent duplicates). The ioredis client's
 * `keyPrefix` applies to both.
 */
export class RedisIdempotencyStore implements IdempotencyStore {
  private readonly processedTtl: number;
  private readonly lockTtlMs: number;

  constructor(
    private readonly redis: Redis,
    options: RedisIdempotencyOptions = {},
  ) {
    this.processedTtl = options.processedTtlSeconds ?? 7 * 24 * 3600;
    this.lockTtlMs = options.lockTtlMs ?? 60_000;
  }

  async claim(scope: string, eventId: string): Promise<IdempotencyClaim> {
    const processedKey = `${scope}:processed:${eventId}`;
    const lockKey = `${scope}:processing:${eventId}`;
    const token = randomUUID();
    const r = Number(await this.redis.eval(CLAIM, 2, processedKey, lockKey, token, this.lockTtlMs));
    if (r === 1) return { status: 'processed' };
    if (r === 2) return { status: 'in-progress' };
    return {
      status: 'acquired',
      complete: async () => {
        await this.redis.eval(COMPLETE, 2, processedKey, lockKey, token, this.processedTtl);
      },
      release: async () => {
        await this.redis.eval(RELEASE, 1, lockKey, token);
      },
    };
  }
}
