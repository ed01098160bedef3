import { TEST_REDIS_URL, uniqueName } from '@aether/testing';
import type { Channel, GetMessage } from 'amqplib';
import Redis from 'ioredis';
import type { Registry } from 'prom-client';

/** A Redis client whose keys all live under a unique prefix, and a cleanup that removes them. */
export function prefixedRedis(): { redis: Redis; cleanup(): Promise<void> } {
  const prefix = `${uniqueName('messaging')}:`;
  const redis = new Redis(TEST_REDIS_URL, { keyPrefix: prefix });
  return {
    redis,
    async cleanup() {
      const admin = new Redis(TEST_REDIS_URL);
      try {
        const keys = await admin.keys(`${prefix}*`);
        if (keys.length) await admin.del(...keys);
      } finally {
        admin.disconnect();
        redis.disconnect();
      }
    },
  };
}

/** Drains a queue with basic.get (no consumer), acking what it reads. */
export async function drain(ch: Channel, queue: string): Promise<GetMessage[]> {
  const out: GetMessage[] = [];
  for (;;) {
    const m = await ch.get(queue, { noAck: true });
    if (!m) return out;
    out.push(m);
  }
}

/** Sum of a counter's samples that match `labels`. */
export async function counterValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))
    .reduce((sum, v) => sum + v.value, 0);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
