import type { Channel } from 'amqplib';

/** Names of the queues one consumer owns. */
export interface ConsumerQueues {
  main: string;
  dlq: string;
  /** One retry queue per distinct delay, e.g. `analytics.events.retry.5000ms`. */
  retry(delayMs: number): string;
}

export function consumerQueues(queue: string): ConsumerQueues {
  return { main: queue, dlq: `${queue}.dlq`, retry: (d) => `${queue}.retry.${d}ms` };
}

/**
 * Declares a consumer's topology (idempotent; re-run after every reconnect):
 *
 *   aether.events --(patterns)--> <queue> --handler fails--> <queue>.retry.<d>ms (TTL d)
 *                                    ^                               |
 *                                    +--- dead-letter via '' --------+
 *   <queue> --poison / attempts exhausted--> <queue>.dlq
 *
 * Retry queues hold one TTL each (per-queue TTL), so messages expire in order and a long delay
 * never holds back a short one. Their dead-letter target is the default exchange with the main
 * queue's name, so a retried message returns only to this queue, not to every other subscriber.
 */
export async function assertConsumerTopology(ch: Channel, exchange: string, queue: string, patterns: string[], delaysMs: number[]): Promise<void> {
  const q = consumerQueues(queue);
  await ch.assertExchange(exchange, 'topic', { durable: true });
  await ch.assertQueue(q.main, { durable: true });
  for (const p of patterns) await ch.bindQueue(q.main, exchange, p);
  for (const d of new Set(delaysMs)) {
    await ch.assertQueue(q.retry(d), {
      durable: true,
      arguments: { 'x-message-ttl': d, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': q.main },
    });
  }
  await ch.assertQueue(q.dlq, { durable: true });
}
