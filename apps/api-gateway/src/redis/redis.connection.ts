import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { GatewayEnv } from '../config/gateway.env';

/** ioredis options for a client that fails fast instead of holding requests while Redis is away. */
export function gatewayRedisOptions() {
  return {
    // No offline queue: while disconnected a command rejects at once, so the rate limiter switches
    // to its in-memory insurance and idempotency answers 503 instead of requests hanging.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 1000,
    // Keep trying to reconnect forever, at most once a second: Redis coming back heals everything.
    retryStrategy: (times: number) => Math.min(100 * times, 1000),
  };
}

/** The gateway's one Redis connection (rate limits, idempotency records, readiness). */
@Injectable()
export class RedisConnection implements OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  readonly client: Redis;
  private lastErrorLogAt = 0;

  constructor(env: GatewayEnv) {
    this.client = new Redis(env.REDIS_URL, gatewayRedisOptions());
    this.client.on('error', (err: Error) => {
      // ioredis emits an error per reconnect attempt; one line every 30 s is enough.
      if (Date.now() - this.lastErrorLogAt > 30_000) {
        this.lastErrorLogAt = Date.now();
        this.logger.warn(`Redis unavailable: ${err.message}`);
      }
    });
  }

  async onApplicationShutdown(): Promise<void> {
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }
}
