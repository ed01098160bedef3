import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { GatewayEnv } from '../config/gateway.env';

/**
 * The server half of the idempotency keys (IDEMPOTENCY_SECRET). Without it a random secret is
 * made per process: records stay unreadable, but replicas do not share them and a restart
 * forgets them — acceptable for one replica in development, so it is a warning, not an error.
 */
export function idempotencySecret(env: Pick<GatewayEnv, 'IDEMPOTENCY_SECRET'>): Buffer {
  if (env.IDEMPOTENCY_SECRET) return Buffer.from(env.IDEMPOTENCY_SECRET, 'utf8');
  new Logger('Idempotency').warn(
    'IDEMPOTENCY_SECRET is not set: using a random per-process secret (replays are not shared between replicas or restarts)',
  );
  return randomBytes(32);
}
