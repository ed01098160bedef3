import type { Collection } from 'mongoose';
import type { StateDoc } from './analytics-collections';

const DUPLICATE_KEY = 11000;

export class LeaseLostError extends Error {
  constructor(name: string) {
    super(`lease ${name} is no longer safely held; work stopped before its next write`);
  }
}

/**
 * A lease on one state document: at most one replica works while it holds it. The holder checks
 * `assertHeld()` before each write and stops once less than `marginMs` of the lease is left, so a
 * stalled holder never writes after another replica could have taken over (as long as a stall
 * between the check and the write stays under the margin).
 *
 * Acquiring is one conditional upsert on a collection of a few documents: it matches when the
 * lease is ours or expired; otherwise the upsert collides with the existing `_id` (E11000).
 */
export class Lease {
  private until = 0;

  constructor(
    private readonly state: Collection<StateDoc>,
    private readonly name: string,
    private readonly owner: string,
    private readonly ttlMs: number,
    private readonly marginMs: number,
  ) {}

  async acquire(): Promise<boolean> {
    const now = Date.now();
    try {
      await this.state.findOneAndUpdate(
        { _id: this.name, $or: [{ owner: this.owner }, { until: { $lt: new Date(now) } }] },
        { $set: { owner: this.owner, until: new Date(now + this.ttlMs) } },
        { upsert: true },
      );
      this.until = now + this.ttlMs;
      return true;
    } catch (e) {
      if ((e as { code?: number }).code !== DUPLICATE_KEY) throw e;
      this.until = 0;
      return false;
    }
  }

  assertHeld(): void {
    if (Date.now() > this.until - this.marginMs) throw new LeaseLostError(this.name);
  }

  /** For long work: renews the lease once half of it is used, then asserts it is held. */
  async keep(): Promise<void> {
    this.assertHeld();
    if (Date.now() > this.until - this.ttlMs / 2 && !(await this.acquire())) throw new LeaseLostError(this.name);
    this.assertHeld();
  }

  async release(): Promise<void> {
    if (this.until === 0) return;
    this.until = 0;
    await this.state.updateOne({ _id: this.name, owner: this.owner }, { $set: { until: new Date(0) } });
  }
}
