import { constants, PerformanceObserver } from 'node:perf_hooks';
import { waitFor } from '@aether/testing';
import { startIdleGc } from './idle-gc';

/** Counts V8's full (mark-compact) collections while it is observing. */
function majorGcs(): { readonly count: number; stop(): void } {
  const seen = { count: 0, stop: () => observer.disconnect() };
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) seen.count += 1;
  });
  observer.observe({ entryTypes: ['gc'] });
  return seen;
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits (bounded) for what the test expects next: on a loaded machine the timer's intervals
 * stretch, so a fixed sleep may end before the interval that counts as idle was even checked.
 */
const until = (done: () => boolean, timeoutMs: number, what: string) => waitFor(done, { timeoutMs, intervalMs: 10, what });

/** Keeps the event loop busy (chunks of synchronous work) for `ms`, allocating garbage. */
async function busyFor(ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const chunkEnd = Date.now() + 15;
    let junk: unknown[] = [];
    while (Date.now() < chunkEnd) junk.push({ n: junk.length, s: `x${junk.length}` });
    junk = [];
    await new Promise((r) => setImmediate(r));
  }
}

describe('startIdleGc', () => {
  it('runs full collections when the process goes idle, none while it is busy', async () => {
    const idleGc = startIdleGc({ intervalMs: 50 });
    const majors = majorGcs();
    try {
      await busyFor(400);
      expect(idleGc.collections).toBe(0);
      // V8's own collections happen while allocating; from here on only the idle ones.
      const byV8 = majors.count;
      // After start-up: on the first idle interval.
      await until(() => idleGc.collections === 1, 2_000, 'the start-up collection');
      expect(idleGc.collections).toBe(1);
      await busyFor(300);
      // After a later burst: once ten intervals were idle.
      await until(() => idleGc.collections === 2, 3_000, 'the collection after the quiet period');
      expect(idleGc.collections).toBe(2);
      // The observer's entries arrive asynchronously, after the collection.
      await until(() => majors.count - byV8 >= 2, 1_000, "the observer's entries of both collections");
      expect(majors.count - byV8).toBeGreaterThanOrEqual(2);
      // Each followed by a trim of the C heap (glibc here).
      expect(idleGc.nativeTrims).toBe(2);
    } finally {
      majors.stop();
      idleGc.stop();
    }
  });

  it('does not collect in the short pauses of bursty traffic', async () => {
    const idleGc = startIdleGc({ intervalMs: 40 });
    try {
      await busyFor(200);
      await until(() => idleGc.collections === 1, 2_000, 'the start-up collection');
      expect(idleGc.collections).toBe(1); // start-up
      for (let i = 0; i < 3; i++) {
        await busyFor(150);
        await tick(120); // at most three idle intervals: not yet quiet (ten are)
      }
      expect(idleGc.collections).toBe(1);
      await until(() => idleGc.collections === 2, 3_000, 'the collection after the quiet period');
      expect(idleGc.collections).toBe(2);
    } finally {
      idleGc.stop();
    }
  });

  it('is off with an interval of 0', async () => {
    const idleGc = startIdleGc({ intervalMs: 0 });
    await busyFor(50);
    await tick(50);
    expect(idleGc.collections).toBe(0);
    idleGc.stop();
  });
});
