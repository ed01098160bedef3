import { createHash } from 'node:crypto';

/**
 * A UUID (version 5 layout, SHA-1) derived from `key`: every replica watching the same engine
 * publishes an engine change under the same event id, so idempotent consumers see it once.
 */
export function eventIdFor(key: string): string {
  const h = createHash('sha1').update('aether.docker-manager.engine-event:').update(key).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
