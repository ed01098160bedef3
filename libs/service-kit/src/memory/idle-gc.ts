import { performance } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
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
 * first idle interval (< IDLE_UTILISATION) after start-up it runs a full GC. After a later busy
 * interval (≥ BUSY_UTILISATION), once ten intervals passed idle, it settles the process cheaply
 * first: a trim of the C heap and, when the young generation commits far more than it holds, a
 * short series of scavenges that lets V8 shrink it. Only if the old generation then still holds
 * GROWTH_BYTES more than after the last full GC, or the RSS is still RSS_SLACK above the RSS the
 * last full GC settled at, does it run a full GC — at most one per MIN_GC_SPACING_INTERVALS. (A
 * process quiet for longer whose heap grew by GROWTH_BYTES collects too.) It never runs under
 * load, a steady light load or in the short pauses of bursty traffic.
 *
 * Why a full GC only when it buys memory: it also drops the optimised code whose embedded objects
 * (the maps of per-request objects, among others) died with the burst, and the next traffic pays
 * for TurboFan to compile it again — `perf record` on every thread of task-manager after a 10-s
 * lull: 24 % of its CPU in TurboFan, CPU per request 1,591 → 916 → 664 µs over three 5-s windows
 * (727 µs in the first window without the full GC). A short burst that leaves little behind now
 * keeps its compiled code. A long one mostly still collects: task-manager's old generation grew
 * by 2–21 MiB in 20–30 s at saturation, and its RSS, 203 MiB after the load, stayed at 131–202
 * MiB after the trim and the shrink (old-generation pages stay committed until a full GC), over
 * the baseline's 10 %; the gateway, whose gRPC client calls outlive the scavenges (grpc-js and
 * Node's HTTP/2 client streams, as in the bare reference), grows its old generation faster.
 *
 * Each full collection is followed by a trim of the C heap (native-heap.ts): the native buffers
 * of the burst, freed by the collection, go back to the system too.
 */
export interface IdleGcOptions {
  /** Check period (ms); 0 turns it off. */
  intervalMs: number;
  /** Old-generation growth (bytes) since the last full collection worth a full collection; GROWTH_BYTES by default. */
  growthBytes?: number;
  /** RSS over the collected idle baseline worth a full collection (a factor); RSS_SLACK by default. */
  rssSlack?: number;
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
/**
 * Old-generation growth since the last full collection that makes a settled process collect: less
 * is not worth the recompilation it costs (V8's own collections reclaim it under the next load).
 */
const GROWTH_BYTES = 16 * 2 ** 20;
/** RSS over the baseline (the RSS once the last full collection settled) that makes a settled process collect. */
const RSS_SLACK = 1.1;

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
  /** Full collections run so far. */
  readonly collections: number;
  /** Full collections followed by a trim of the C heap (0 where it cannot be trimmed). */
  readonly nativeTrims: number;
  /** RSS (bytes) once the last full collection settled, against which a burst's RSS is judged; NaN until then. */
  readonly baselineRss: number;
  /** Bursts after which the process was settled (C heap trimmed, young generation shrunk), with or without a full collection. */
  readonly settles: number;
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

/** Bytes used by the old generation (every space but the young one): what only a full GC reclaims. */
function oldGenerationUsed(): number {
  let used = 0;
  for (const space of getHeapSpaceStatistics()) if (space.space_name !== 'new_space' && space.space_name !== 'new_large_object_space') used += space.space_used_size;
  return used;
}

function shrinkYoung(gc: GcFunction, done: () => void, left = SHRINK_SCAVENGES): void {
  if (left === 0 || !youngOversized()) return done();
  gc({ type: 'minor' });
  setTimeout(() => shrinkYoung(gc, done, left - 1), SHRINK_SPACING_MS).unref();
}

export function startIdleGc(options: IdleGcOptions): IdleGc {
  const state = { collections: 0, nativeTrims: 0, settles: 0, baselineRss: NaN, stop: () => undefined as void };
  const gc = options.intervalMs > 0 ? v8Gc() : undefined;
  if (!gc) return state;
  const growthBytes = options.growthBytes ?? GROWTH_BYTES;
  const rssSlack = options.rssSlack ?? RSS_SLACK;
  let last = performance.eventLoopUtilization();
  // Idle intervals in a row since the loop was last busy; start-up itself is the first burst.
  let idleStreak = 0;
  let busySinceGc = true;
  let startingUp = true;
  // After a burst: settled (trimmed, young generation shrinking) and waiting to judge the rest.
  let settling = false;
  let shrinkAttempts = 0;
  let shrinking = false;
  let lastGcAt = -Infinity;
  let oldAfterGc = oldGenerationUsed();
  // The baseline (state.baselineRss) is taken once a full collection has settled (young generation
  // shrunk): what collecting gives.
  let baselinePending = true;
  const startShrink = () => {
    if (shrinking || shrinkAttempts >= MAX_SHRINK_ATTEMPTS || !youngOversized()) return;
    shrinkAttempts += 1;
    shrinking = true;
    shrinkYoung(gc, () => (shrinking = false));
  };
  const fullCollect = () => {
    // The burst's dead objects in the old generation.
    gc();
    // What the collection freed outside the JS heap (backing stores, the burst's native buffers).
    if (trimNativeHeap()) state.nativeTrims += 1;
    lastGcAt = performance.now();
    state.collections += 1;
    oldAfterGc = oldGenerationUsed();
    baselinePending = true;
  };
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const utilisation = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    if (utilisation >= BUSY_UTILISATION) {
      idleStreak = 0;
      busySinceGc = true;
      settling = false;
      shrinkAttempts = 0;
      return;
    }
    if (utilisation >= IDLE_UTILISATION) return;
    idleStreak += 1;
    const spaced = performance.now() - lastGcAt >= MIN_GC_SPACING_INTERVALS * options.intervalMs;
    const grown = () => oldGenerationUsed() - oldAfterGc >= growthBytes;
    if (startingUp) {
      // Right after start-up (once): what initialisation left behind.
      if (idleStreak === 1) {
        fullCollect();
        startingUp = false;
        busySinceGc = false;
      }
    } else if (busySinceGc && idleStreak >= QUIET_INTERVALS) {
      // After a later burst only once quiet for QUIET_INTERVALS: a collection (and a shrunk young
      // generation) right before the next burst would make that burst pay for regrowing the heap —
      // the request-path bench, alternating 4 s of load and 4 s of rest, measured twice the CPU per
      // request when collecting on the first idle interval.
      if (!settling) {
        settling = true;
        state.settles += 1;
        trimNativeHeap();
        startShrink();
      } else if (!shrinking) {
        // No baseline yet (load came right after start-up): collect, and take it then.
        const worthCollecting = grown() || Number.isNaN(state.baselineRss) || process.memoryUsage.rss() > state.baselineRss * rssSlack;
        if (worthCollecting && spaced) fullCollect();
        if (!worthCollecting || spaced) {
          busySinceGc = false;
          settling = false;
        }
      }
    } else if (!busySinceGc && idleStreak > QUIET_INTERVALS && spaced && grown()) {
      // Growth while quiet for a while (not a trickle of requests, whose garbage the young
      // generation collects cheaply).
      fullCollect();
    }
    if (!startingUp && !busySinceGc && !shrinking) {
      startShrink();
      // The baseline the next burst is judged against: collected, idle, young generation small.
      if (baselinePending && !shrinking && (!youngOversized() || shrinkAttempts >= MAX_SHRINK_ATTEMPTS)) {
        state.baselineRss = process.memoryUsage.rss();
        baselinePending = false;
      }
    }
    // The collections themselves are not activity.
    last = performance.eventLoopUtilization();
  }, options.intervalMs);
  timer.unref();
  state.stop = () => clearInterval(timer);
  return state;
}
