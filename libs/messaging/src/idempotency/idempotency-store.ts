export const IDEMPOTENCY_STORE = Symbol('IDEMPOTENCY_STORE');

/**
 * Outcome of claiming an event for processing.
 * - `acquired`: nobody handled it yet; call `complete()` after the handler succeeded, `release()` if it failed.
 * - `processed`: handled before (duplicate delivery) — skip it.
 * - `in-progress`: another consumer is handling it right now — try again later.
 */
export type IdempotencyClaim =
  | { status: 'acquired'; complete(): Promise<void>; release(): Promise<void> }
  | { status: 'processed' }
  | { status: 'in-progress' };

/** Remembers which events a queue has handled, keyed by the CloudEvents id. */
export interface IdempotencyStore {
  claim(scope: string, eventId: string): Promise<IdempotencyClaim>;
}
