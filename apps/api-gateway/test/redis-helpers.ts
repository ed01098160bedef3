import Redis from 'ioredis';
import { TEST_REDIS_URL, freePort } from '@aether/testing';
import { gatewayRedisOptions } from '../src/redis/redis.connection';

/** A client configured like the gateway's (fails fast, no offline queue), connected. */
export async function connectedRedis(url = TEST_REDIS_URL): Promise<Redis> {
  const redis = new Redis(url, gatewayRedisOptions());
  await new Promise<void>((resolve, reject) => {
    redis.once('ready', () => resolve());
    redis.once('error', reject);
  });
  return redis;
}

/** A client pointed at a port nothing listens on: Redis "down". */
export async function deadRedis(): Promise<Redis> {
  const redis = new Redis(`redis://127.0.0.1:${await freePort()}`, gatewayRedisOptions());
  redis.on('error', () => undefined);
  return redis;
}

/** Deletes every key under `prefix` (tests own their prefix). */
export async function dropPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}
