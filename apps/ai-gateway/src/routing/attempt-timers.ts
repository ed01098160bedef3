import { ProviderError } from '../providers/provider-error';
import { CancelledError } from './errors';

export interface AttemptLimits {
  /** 0: no first-token limit (non-streamed calls: OpenAI sends headers with the whole answer). */
  firstTokenMs: number;
  /** 0: no idle limit. */
  idleMs: number;
  totalMs: number;
}

/**
 * The timers of one provider attempt, as one AbortSignal: the first-token wait (until
 * `firstToken()`), the idle gap between chunks after it (reset by `progress()`), the total, and
 * the client's own cancellation. The signal's reason says which fired: a ProviderError
 * ('timeout') for a timer, a CancelledError for the client.
 */
export class AttemptTimers {
  private readonly controller = new AbortController();
  private firstTokenTimer?: NodeJS.Timeout;
  private idleTimer?: NodeJS.Timeout;
  private readonly totalTimer: NodeJS.Timeout;
  private started = false;
  private readonly onParentAbort = () => this.controller.abort(new CancelledError());

  constructor(
    private readonly parent: AbortSignal,
    private readonly limits: AttemptLimits,
  ) {
    if (parent.aborted) this.controller.abort(new CancelledError());
    else parent.addEventListener('abort', this.onParentAbort, { once: true });
    this.totalTimer = setTimeout(() => this.fire(`no complete answer within ${limits.totalMs} ms`), limits.totalMs);
    if (limits.firstTokenMs > 0) {
      this.firstTokenTimer = setTimeout(() => this.fire(`no first token within ${limits.firstTokenMs} ms`), limits.firstTokenMs);
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  private fire(message: string): void {
    this.controller.abort(new ProviderError('timeout', message));
  }

  /** Bytes arrived: the idle timer starts over (after the first token). */
  progress = (): void => {
    if (!this.started || this.limits.idleMs <= 0) return;
    this.idleTimer?.refresh();
  };

  firstToken(): void {
    if (this.started) return;
    this.started = true;
    if (this.firstTokenTimer) clearTimeout(this.firstTokenTimer);
    if (this.limits.idleMs > 0) this.idleTimer = setTimeout(() => this.fire(`the stream was silent for ${this.limits.idleMs} ms`), this.limits.idleMs);
  }

  /** Stops every timer; aborts the provider request if it is still open (no-op after success). */
  dispose(abortOpenRequest = false): void {
    clearTimeout(this.totalTimer);
    if (this.firstTokenTimer) clearTimeout(this.firstTokenTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.parent.removeEventListener('abort', this.onParentAbort);
    if (abortOpenRequest && !this.controller.signal.aborted) this.controller.abort(new CancelledError());
  }
}
