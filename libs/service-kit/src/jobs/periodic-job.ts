import { Logger, type FactoryProvider, type InjectionToken, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';

/**
 * What a pass tells the job about the next one: nothing (wait `intervalMs`), `'again'` (there
 * is more work: run again right away) or `'backoff'` (a dependency is not ready: wait the next
 * backoff delay, without logging an error).
 */
export type PassOutcome = void | 'again' | 'backoff';

export interface PeriodicJobOptions {
  /** Names the job in logs. */
  name: string;
  /** Pause between the end of one pass and the start of the next. */
  intervalMs: number;
  /** The work of one pass. A throw is logged and backed off; the job keeps running. */
  run: () => Promise<PassOutcome | unknown>;
  /** Delays after failed (or 'backoff') passes: doubling from initialMs up to maxMs. Default: intervalMs each time. */
  backoff?: { initialMs: number; maxMs: number };
  /** Delay of the first pass after start(); default 0 (at once). */
  initialDelayMs?: number;
  /** As a Nest provider: start on application bootstrap only when true (default true). */
  enabled?: boolean;
}

/**
 * Runs a pass every `intervalMs`, never overlapping itself (the next pass is scheduled when the
 * previous one ends), with backoff after failures and kick() to run early. stop() waits for a
 * pass in progress, so shutdown never cuts a transaction. Timers are unref'd: a job never keeps
 * a process alive on its own.
 *
 * As a Nest provider (see periodicJobProvider) it starts on application bootstrap (when
 * `enabled`) and stops, waiting for its pass, when the module is destroyed.
 *
 * (@nestjs/schedule's intervals neither prevent overlap nor wait for a running pass on shutdown,
 * and have no backoff or wake-up, which every loop here needs.)
 */
export class PeriodicJob implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = true;
  private kicked = false;
  private backoffMs = 0;
  private nextDelayMs = 0;
  private readonly logger: Logger;

  constructor(private readonly options: PeriodicJobOptions) {
    this.logger = new Logger(options.name);
  }

  get isRunning(): boolean {
    return !this.stopped;
  }

  onApplicationBootstrap(): void {
    if (this.options.enabled ?? true) this.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.stop();
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(this.options.initialDelayMs ?? 0);
  }

  /** Stops scheduling passes and waits for the one in progress, if any. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Runs a pass now (or right after the one in progress) instead of at the next tick. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.kicked = true;
      return;
    }
    clearTimeout(this.timer);
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.pass().finally(() => {
        this.running = undefined;
        const again = this.kicked;
        this.kicked = false;
        this.schedule(again ? 0 : this.nextDelayMs);
      });
    }, delayMs);
    this.timer.unref();
  }

  private async pass(): Promise<void> {
    try {
      const outcome = await this.options.run();
      if (outcome === 'backoff') {
        this.nextDelayMs = this.nextBackoff();
      } else {
        this.backoffMs = 0;
        this.nextDelayMs = outcome === 'again' ? 0 : this.options.intervalMs;
      }
    } catch (err) {
      this.nextDelayMs = this.nextBackoff();
      this.logger.warn(`${this.options.name} pass failed, retrying in ${this.nextDelayMs} ms: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  private nextBackoff(): number {
    const b = this.options.backoff;
    if (!b) return this.options.intervalMs;
    this.backoffMs = this.backoffMs === 0 ? b.initialMs : Math.min(this.backoffMs * 2, b.maxMs);
    return this.backoffMs;
  }
}

/**
 * A PeriodicJob as a provider whose options come from other providers (a worker, the env):
 * `periodicJobProvider('SchedulerLoop', [ScheduleRunner, AppEnv], (runner, env) => ({ name: …, run: () => runner.runDue(), … }))`.
 */
export function periodicJobProvider(
  provide: InjectionToken,
  inject: InjectionToken[],
  options: (...deps: any[]) => PeriodicJobOptions,
): FactoryProvider<PeriodicJob> {
  return { provide, inject: [...inject], useFactory: (...deps: unknown[]) => new PeriodicJob(options(...deps)) };
}
