export interface MicroBatcherOptions {
  /** Most items per flush. */
  maxSize: number;
  /** How long the first item of a batch waits for more before the batch is flushed. */
  lingerMs: number;
}

/** Per-item outcome of a flush: undefined = done, an Error = that item failed. */
export type FlushFn<T> = (items: T[]) => Promise<Array<Error | undefined>>;

interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (e: Error) => void;
}

/**
 * Collects concurrent single-item calls into batches: `add()` resolves when the batch holding the
 * item was written. One flush runs at a time; items arriving meanwhile form the next batch, so
 * batches grow with load and a lone item waits at most `lingerMs`.
 *
 * With the consumer's prefetch > 1, handlers for many deliveries run at once, each awaiting
 * add(); every message is still acked only after its own write succeeded.
 */
export class MicroBatcher<T> {
  private queue: Pending<T>[] = [];
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;

  constructor(
    private readonly flushFn: FlushFn<T>,
    private readonly options: MicroBatcherOptions,
  ) {}

  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Flushes whatever is queued and waits until every flush has finished. */
  async drain(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.flushing || this.queue.length > 0) {
      if (!this.flushing) this.startFlush();
      await this.flushing;
    }
  }

  private schedule(): void {
    if (this.flushing) return; // the running flush picks the queue up when it ends
    if (this.queue.length >= this.options.maxSize || this.options.lingerMs === 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.startFlush();
    } else {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        if (!this.flushing) this.startFlush();
      }, this.options.lingerMs);
    }
  }

  private startFlush(): void {
    const batch = this.queue.splice(0, this.options.maxSize);
    if (batch.length === 0) return;
    this.flushing = this.flushFn(batch.map((p) => p.item))
      .then(
        (outcomes) => batch.forEach((p, i) => (outcomes[i] ? p.reject(outcomes[i]!) : p.resolve())),
        (err: Error) => batch.forEach((p) => p.reject(err)),
      )
      .finally(() => {
        this.flushing = undefined;
        // Items that arrived during the flush waited already: write them at once.
        if (this.queue.length > 0) this.startFlush();
      });
  }
}
