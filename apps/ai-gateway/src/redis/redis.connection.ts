import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { AiGatewayEnv } from '../config/ai-gateway.env';

/**
 * ai-gateway's one Redis connection (breakers, budgets, cache, usage rollups). No offline queue:
 * while Redis is away a command fails at once and each caller degrades on its own terms
 * (breaker: assume closed; cache: miss; budgets: refuse, never overspend).
 */
@Injectable()
export class RedisConnection implements OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  readonly client: Redis;
  private lastErrorLogAt = 0;

  constructor(env: AiGatewayEnv) {
    this.client = new Redis(env.REDIS_URL, {
      keyPrefix: env.REDIS_KEY_PREFIX,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      commandTimeout: 1000,
      retryStrategy: (times: number) => Math.min(100 * times, 1000),
    });
    this.client.on('error', (err: Error) => {
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
