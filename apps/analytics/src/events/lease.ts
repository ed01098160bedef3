import type { Collection } from 'mongoose';
import type { StateDoc } from './analytics-collections';

const DUPLICATE_KEY = 11000;

export class LeaseLostError extends Error {
  constructor(name: string) {
    super(`lease ${name} is no longer safely held; work stopped before its next write`);
  }
}

/**
 * A lease: at most one replica works while it holds it. The holder checks `assertHeld()` before
 * each write and stops once less than `marginMs` of the lease is left, so a stalled holder never
 * writes after another replica could have taken over (as long as a stall between the check and
 * the write stays under the margin).
 *
 * Each holding is its own document, `<name>#<epoch>`, and taking the lease over is *inserting*
 * the next epoch: the unique `_id` lets exactly one replica win. A conditional update cannot
 * decide it on FerretDB 1.24: it runs `findAndModify`/`update` as a read, then a write by `_id`,
 * so two replicas that both saw the lease expired both "won" (measured: 29 of 30 races). The
 * holder renews its own epoch document only, and only while it still holds the lease by its own
 * clock, so a renewal never races a takeover.
 */
export class Lease {
  private until = 0;
  private epoch = 0;

  constructor(
    private readonly state: Collection<StateDoc>,
    private readonly name: string,
    private readonly owner: string,
    private readonly ttlMs: number,
    private readonly marginMs: number,
  ) {}

  private docId(epoch: number): string {
    return `${this.name}#${epoch}`;
  }

  async acquire(): Promise<boolean> {
    const now = Date.now();
    const holdings = await this.state.find({ lease: this.name }).toArray();
    const current = holdings.reduce<StateDoc | undefined>((a, b) => ((b.epoch ?? 0) > (a?.epoch ?? 0) ? b : a), undefined);
    const until = new Date(now + this.ttlMs);
    if (current && (current.until?.getTime() ?? 0) >= now) {
      // Valid: renewed by its holder (only while its own clock says it holds it), refused to anyone else.
      if (current.owner !== this.owner || current.epoch !== this.epoch || this.until <= now) {
        this.until = 0;
        return false;
      }
      await this.state.updateOne({ _id: current._id, owner: this.owner }, { $set: { until } });
      this.until = now + this.ttlMs;
      return true;
    }
    const epoch = (current?.epoch ?? 0) + 1;
    try {
      await this.state.insertOne({ _id: this.docId(epoch), lease: this.name, epoch, owner: this.owner, until });
    } catch (e) {
      if ((e as { code?: number }).code !== DUPLICATE_KEY) throw e;
      this.until = 0;
      return false;
    }
    this.epoch = epoch;
    this.until = now + this.ttlMs;
    await this.state.deleteMany({ lease: this.name, epoch: { $lt: epoch } });
    return true;
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

  /**
   * Awaits `work` (one long read) while renewing the lease every quarter of its time, so a read
   * that takes longer than the lease (a scan of a large collection on FerretDB) does not lose
   * it. A renewal that fails leaves the lease lost: the next `assertHeld()` throws.
   */
  async during<T>(work: Promise<T>): Promise<T> {
    const timer = setInterval(() => {
      if (Date.now() > this.until - this.marginMs) return; // already lost: never renewed again
      this.acquire().then(
        (held) => {
          if (!held) this.until = 0;
        },
        () => undefined,
      );
    }, this.ttlMs / 4);
    try {
      return await work;
    } finally {
      clearInterval(timer);
    }
  }

  async release(): Promise<void> {
    if (this.until === 0) return;
    this.until = 0;
    await this.state.updateOne({ _id: this.docId(this.epoch), owner: this.owner }, { $set: { until: new Date(0) } });
  }
}
