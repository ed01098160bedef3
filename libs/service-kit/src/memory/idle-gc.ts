import { performance } from 'node:perf_hooks';
import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { trimNativeHeap } from './native-heap';

/**
 * Garbage collection once the process has gone idle after being busy.
 *
 * V8 collects the old generation when it is about to grow, and shrinks its young generation in
 * a scavenge only once the allocation rate is low; an idle Node process allocates next to nothing,
 * so neither happens (Node gives V8 no idle time). So a service kept what start-up or a burst of
 * load left behind: its young generation grown to the maximum (~28 MiB committed for ~3 MiB live,
 * right after start) and the burst's dead objects (analytics: heap 39 → 77 MiB "used" a minute
 * after a soak, 39 MiB of it live).
 *
 * Every `intervalMs` this looks at the event loop's utilisation over the last interval. On the
 * first idle interval (< IDLE_UTILISATION) after start-up, and after a later busy interval
 * (≥ BUSY_UTILISATION) once ten idle intervals passed (or when the heap of a process quiet for
 * longer grew by GROWTH_BYTES) it runs a full GC, at most one per MIN_GC_SPACING_INTERVALS; when
 * the young generation then commits far more than it holds, a short series of scavenges lets V8
 * shrink it. It never runs under load, a steady light load or in the short pauses of bursty
 * traffic: one full GC per quiet period, and scavenges of an empty generation.
 *
 * Each of those collections is followed by a trim of the C heap (native-heap.ts): the native
 * buffers of the burst, freed by the collection, go back to the system too.
 */
export interface IdleGcOptions {
  /** Check period (ms); 0 turns it off. */
  intervalMs: number;
}

/**
 * Event-loop utilisation above which an interval counts as busy (background jobs — outbox relays,
 * compaction, probes — keep an idle service at 0.1–10 %; under load it is 30 % and more).
 */
const BUSY_UTILISATION = 0.15;
/**
 * Below this an interval counts as idle; in between (a trickle of requests, a background pass)
 * it counts as neither, so a steady light load never collects here (V8's own GCs serve it).
 */
const IDLE_UTILISATION = 0.05;
/** Least time between two full collections run here, in intervals (5 s by default: ~0.5 % of a core at most). */
const MIN_GC_SPACING_INTERVALS = 5;
/**
 * Idle intervals after a burst after which to collect a second time (the first is right after
 * it): by then what the burst's last requests left referenced (closing sockets, timers of
 * finished calls) is released.
 */
const QUIET_INTERVALS = 10;
/** Heap growth since the last collection that makes an idle process collect anyway. */
const GROWTH_BYTES = 16 * 2 ** 20;

/**
 * V8's gc(): without an argument a full, synchronous collection; `{ type: 'minor' }` a scavenge.
 * (On Node 20 any options object gives a scavenge, so a full one is asked for without one.)
 */
type GcFunction = (options?: { type: 'minor' }) => void;

let gcFunction: GcFunction | undefined | null;

/** V8's gc(), without exposing it on this context's global object (a new context gets it). */
function v8Gc(): GcFunction | undefined {
  if (gcFunction === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      gcFunction = runInNewContext('gc') as GcFunction;
    } catch {
      gcFunction = null;
    }
  }
  return gcFunction ?? undefined;
}

export interface IdleGc {
  /** Collections run so far. */
  readonly collections: number;
  /** Collections followed by a trim of the C heap (0 where it cannot be trimmed). */
  readonly nativeTrims: number;
  stop(): void;
}

/** Young-generation pages committed beyond twice its live objects that make an idle process shrink it. */
const YOUNG_SLACK_BYTES = 4 * 2 ** 20;
/** Series of scavenges tried per idle period to shrink the young generation. */
const MAX_SHRINK_ATTEMPTS = 3;
/**
 * V8 shrinks the young generation in a scavenge when the allocation rate over its last samples
 * (one per GC, ten kept) is low: a dozen scavenges of the empty generation, 30 ms apart, make
 * those samples the idle process's own (~0.2 ms each).
 */
const SHRINK_SCAVENGES = 12;
const SHRINK_SPACING_MS = 30;

function youngOversized(): boolean {
  const space = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  return !!space && space.physical_space_size > 2 * space.space_used_size + YOUNG_SLACK_BYTES;
}

function shrinkYoung(gc: GcFunction, done: () => void, left = SHRINK_SCAVENGES): void {
  if (left === 0 || !youngOversized()) return done();
  gc({ type: 'minor' });
  setTimeout(() => shrinkYoung(gc, done, left - 1), SHRINK_SPACING_MS).unref();
}

export function startIdleGc(options: IdleGcOptions): IdleGc {
  const state = { collections: 0, nativeTrims: 0, stop: () => undefined as void };
  const gc = options.intervalMs > 0 ? v8Gc() : undefined;
  if (!gc) return state;
  let last = performance.eventLoopUtilization();
  // Idle intervals in a row since the loop was last busy; start-up itself is the first burst.
  let idleStreak = 0;
  let busySinceGc = true;
  let startingUp = true;
  let shrinkAttempts = 0;
  let shrinking = false;
  let lastGcAt = -Infinity;
  let heapAfterGc = getHeapStatistics().used_heap_size;
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const utilisation = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    if (utilisation >= BUSY_UTILISATION) {
      idleStreak = 0;
      busySinceGc = true;
      shrinkAttempts = 0;
      return;
    }
    if (utilisation >= IDLE_UTILISATION) return;
    idleStreak += 1;
    // Growth while quiet for a while (not a trickle of requests, whose garbage the young
    // generation collects cheaply).
    const grown = idleStreak > QUIET_INTERVALS && getHeapStatistics().used_heap_size - heapAfterGc >= GROWTH_BYTES;
    const spaced = performance.now() - lastGcAt >= MIN_GC_SPACING_INTERVALS * options.intervalMs;
    // Right after start-up (once); after a later burst only once quiet for QUIET_INTERVALS: a
    // collection (and a shrunk young generation) right before the next burst would make that
    // burst pay for regrowing the heap — the request-path bench, alternating 4 s of load and 4 s
    // of rest, measured twice the CPU per request when collecting on the first idle interval.
    const due = busySinceGc && ((startingUp && idleStreak === 1) || idleStreak >= QUIET_INTERVALS);
    if ((due || grown) && spaced) {
      // The burst's dead objects in the old generation.
      gc();
      // What the collection freed outside the JS heap (backing stores, the burst's native buffers).
      if (trimNativeHeap()) state.nativeTrims += 1;
      lastGcAt = performance.now();
      state.collections += 1;
      startingUp = false;
      busySinceGc = false;
      heapAfterGc = getHeapStatistics().used_heap_size;
    }
    if (!startingUp && !busySinceGc && !shrinking && shrinkAttempts < MAX_SHRINK_ATTEMPTS && youngOversized()) {
      shrinkAttempts += 1;
      shrinking = true;
      shrinkYoung(gc, () => (shrinking = false));
    }
    // The collections themselves are not activity.
    last = performance.eventLoopUtilization();
  }, options.intervalMs);
  timer.unref();
  state.stop = () => clearInterval(timer);
  return state;
}
