import { constants, PerformanceObserver } from 'node:perf_hooks';
import { waitFor } from '@aether/testing';
import { startIdleGc, type IdleGc, type IdleGcOptions } from './idle-gc';

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

/**
 * A burst that leaves `mib` MiB of dead objects in the old generation: arrays kept referenced
 * while the loop allocates (so they survive scavenges and are promoted), then dropped.
 */
async function burstLeavingOldGarbage(mib: number): Promise<void> {
  const kept: number[][] = [];
  for (let i = 0; i < mib; i++) kept.push(Array.from({ length: 2 ** 17 }, (_, j) => j + 0.5));
  await busyFor(300);
  expect(kept).toHaveLength(mib);
  kept.length = 0;
}

/**
 * A burst leaving 24 MiB of old-generation garbage, then waits for the kit's full collection after
 * the quiet period. V8 may collect the garbage itself first (its memory reducer, armed by the
 * start-up collection, fires seconds later; on a loaded machine the quiet period comes later too):
 * then nothing is left to collect and the kit rightly does not, so such a run is retried (3 at most).
 */
async function burstThenCollection(idleGc: IdleGc): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const majors = majorGcs();
    const before = idleGc.collections;
    await burstLeavingOldGarbage(24);
    try {
      await until(() => idleGc.collections > before, 10_000, 'the collection after the quiet period');
      return;
    } catch (err) {
      if (attempt === 3 || majors.count === 0) throw err;
    } finally {
      majors.stop();
    }
  }
}

/**
 * Starts the idle collection, lets its start-up collection run and settle (the RSS baseline
 * taken), and returns it with its counters at that point: what the test's burst is judged from.
 */
async function startedAndSettled(options: IdleGcOptions) {
  const idleGc = startIdleGc(options);
  await busyFor(200);
  await until(() => idleGc.collections === 1, 2_000, 'the start-up collection');
  await until(() => idleGc.baselineRss > 0, 3_000, 'the RSS baseline');
  return { idleGc, before: { collections: idleGc.collections, settles: idleGc.settles, nativeTrims: idleGc.nativeTrims } };
}

describe('startIdleGc', () => {
  it('runs a full collection on the first idle interval after start-up, none while busy', async () => {
    const idleGc = startIdleGc({ intervalMs: 50 });
    const majors = majorGcs();
    try {
      await busyFor(400);
      expect(idleGc.collections).toBe(0);
      // V8's own collections happen while allocating; from here on only the idle one.
      const byV8 = majors.count;
      await until(() => idleGc.collections === 1, 2_000, 'the start-up collection');
      expect(idleGc.collections).toBe(1);
      // The observer's entries arrive asynchronously, after the collection.
      await until(() => majors.count - byV8 >= 1, 1_000, "the observer's entry of the collection");
      // Followed by a trim of the C heap (glibc here).
      expect(idleGc.nativeTrims).toBe(1);
    } finally {
      majors.stop();
      idleGc.stop();
    }
  });

  it('after a burst that left old-generation garbage: settles, then collects fully once quiet', async () => {
    // RSS is not the criterion here (Infinity): the old generation's growth is.
    const { idleGc, before: { collections, settles, nativeTrims } } = await startedAndSettled({ intervalMs: 50, growthBytes: 8 * 2 ** 20, rssSlack: Infinity });
    try {
      await burstThenCollection(idleGc);
      expect(idleGc.collections).toBeGreaterThanOrEqual(collections + 1);
      // (A loaded machine's own pauses may have made one more quiet period before the burst.)
      expect(idleGc.settles).toBeGreaterThanOrEqual(settles + 1);
      expect(idleGc.nativeTrims).toBeGreaterThanOrEqual(nativeTrims + 1);
    } finally {
      idleGc.stop();
    }
  });

  it('after a burst of short-lived garbage only: settles without a full collection (the compiled code stays)', async () => {
    const { idleGc, before: { collections, settles } } = await startedAndSettled({ intervalMs: 40, growthBytes: 64 * 2 ** 20, rssSlack: Infinity });
    try {
      await busyFor(300);
      await until(() => idleGc.settles === settles + 1, 3_000, 'the settling after the quiet period');
      // A few more idle intervals: the judgement comes once the young generation is shrunk.
      await tick(400);
      expect(idleGc.collections).toBe(collections);
    } finally {
      idleGc.stop();
    }
  });

  it('after a burst that left the RSS above the collected baseline: collects fully', async () => {
    // Any RSS over the baseline counts (slack 1): the old generation's growth is not the criterion.
    const { idleGc, before: { collections, settles } } = await startedAndSettled({ intervalMs: 50, growthBytes: Infinity, rssSlack: 1 });
    try {
      await burstThenCollection(idleGc);
      expect(idleGc.collections).toBeGreaterThanOrEqual(collections + 1);
      // (A loaded machine's own pauses may have made one more quiet period before the burst.)
      expect(idleGc.settles).toBeGreaterThanOrEqual(settles + 1);
    } finally {
      idleGc.stop();
    }
  });

  it('after a burst that came before any baseline (load right after start-up): collects fully', async () => {
    // Neither growth nor RSS can decide (both Infinity): only the missing baseline does.
    const idleGc = startIdleGc({ intervalMs: 50, growthBytes: Infinity, rssSlack: Infinity });
    try {
      await busyFor(200);
      await until(() => idleGc.collections === 1, 2_000, 'the start-up collection');
      // Busy again while the young generation is still being shrunk: no baseline was taken.
      await busyFor(300);
      expect(idleGc.baselineRss).toBeNaN();
      await until(() => idleGc.collections === 2, 3_000, 'the collection after the quiet period');
      await until(() => idleGc.baselineRss > 0, 3_000, 'the RSS baseline, taken after it');
    } finally {
      idleGc.stop();
    }
  });

  it('does not settle or collect in the short pauses of bursty traffic', async () => {
    const { idleGc, before: { collections, settles } } = await startedAndSettled({ intervalMs: 40, growthBytes: 0 });
    try {
      for (let i = 0; i < 3; i++) {
        await busyFor(150);
        await tick(120); // at most three idle intervals: not yet quiet (ten are)
      }
      expect(idleGc.settles).toBe(settles);
      expect(idleGc.collections).toBe(collections);
      // Any growth counts here (0), so the quiet period after the bursts does collect.
      await until(() => idleGc.collections === collections + 1, 3_000, 'the collection after the quiet period');
      // (A loaded machine's own pauses may have made one more quiet period before the burst.)
      expect(idleGc.settles).toBeGreaterThanOrEqual(settles + 1);
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
