import { createHash } from 'node:crypto';
import { BUCKET_MS, floorTo } from './buckets';
import { AI_COMPLETION_TYPE } from './event-record';

/**
 * The rollup model: what compaction folds raw events into and what the queries read.
 *
 * Every stored event contributes, for each scope it belongs to (`all`, and its user when it has
 * one), one count (and, for AI completions, its tokens and cost) to
 * - a **day doc** (one per scope and UTC day): 24 hourly slots per event type;
 * - an **hour doc** (one per scope and UTC hour): 60 minute slots per event type;
 * and, once for every scope, one entry to
 * - an **edge doc** (one per UTC minute): the minute's events themselves (id, time, type, user,
 *   sums), so a range that starts or ends inside a minute is exact to the millisecond.
 *
 * Docs live in **partitions**: on FerretDB each partition is its own small collection, because
 * FerretDB 1.24 (SQLite) scans a whole collection for every query, `_id` lookups included (its
 * `_id` index is built on another SQL expression than the one its queries use), so a read costs
 * what the collection holds, whatever the filter. Small partitions bound that cost by the
 * buckets a partition spans rather than by the events stored. On MongoDB every partition is a
 * key range of one collection (`_id` = "<partition>|<doc>"), read through the `_id` index.
 */

export const ALL_SCOPE = 'all';
/** Day docs of one scope are grouped in partitions of this many days. */
export const DAY_PARTITION_DAYS = 64;
/** Hour docs of one scope are grouped in partitions of this many days (a minute series spans at most 2). */
export const HOUR_PARTITION_DAYS = 1;
const DAY = BUCKET_MS.day;
const HOUR = BUCKET_MS.hour;
const MINUTE = BUCKET_MS.minute;

export type SlotDocKind = 'day' | 'hour';

/** One event as the journal and the edge docs carry it (compact: JSON arrays, no field names). */
export type CompactEvent = [id: string, timeMs: number, type: string, userId: string, promptTokens: number, completionTokens: number, usdNano: number];

export interface EventFacts {
  id: string;
  timeMs: number;
  type: string;
  userId: string;
  promptTokens: number;
  completionTokens: number;
  /** Cost in billionths of a USD, an integer, so sums are exact whatever their order. */
  usdNano: number;
}

export const toCompact = (e: EventFacts): CompactEvent => [e.id, e.timeMs, e.type, e.userId, e.promptTokens, e.completionTokens, e.usdNano];
export const fromCompact = (c: CompactEvent): EventFacts => ({
  id: c[0],
  timeMs: c[1],
  type: c[2],
  userId: c[3],
  promptTokens: c[4],
  completionTokens: c[5],
  usdNano: c[6],
});

/** Scope key used in partition names: user ids are hashed (any characters may occur in them). */
export function scopeKey(userId: string | undefined): string {
  if (userId === undefined) return ALL_SCOPE;
  return `u${createHash('sha256').update(userId).digest('hex').slice(0, 24)}`;
}

/** Partition names are valid collection names on every server: letters, digits, `_`. */
export function dayDocPartition(scope: string, dayMs: number): string {
  return `ar_${scope}_d${Math.floor(dayMs / (DAY_PARTITION_DAYS * DAY))}`;
}
export function hourDocPartition(scope: string, hourMs: number): string {
  return `ar_${scope}_h${Math.floor(hourMs / (HOUR_PARTITION_DAYS * DAY))}`;
}
export function edgePartition(minuteMs: number): string {
  return `ar_edge_${Math.floor(minuteMs / HOUR)}`;
}

/** [start, end) in ms of the buckets a partition holds, from its name (used by retention). */
export function partitionSpan(name: string): { start: number; end: number } | undefined {
  const m = /^ar_(?:edge_(\d+)|[a-z0-9]+_([dh])(\d+))$/.exec(name);
  if (!m) return undefined;
  if (m[1] !== undefined) return { start: Number(m[1]) * HOUR, end: (Number(m[1]) + 1) * HOUR };
  const size = (m[2] === 'd' ? DAY_PARTITION_DAYS : HOUR_PARTITION_DAYS) * DAY;
  return { start: Number(m[3]) * size, end: (Number(m[3]) + 1) * size };
}

export interface DocRef {
  partition: string;
  /** `_id`: "<partition>|<kind letter><bucket ms>". */
  id: string;
  /** Start of the doc's bucket (day, hour or minute). */
  bucket: number;
}

export function dayDocRef(scope: string, t: number): DocRef {
  const bucket = floorTo(t, 'day').getTime();
  const partition = dayDocPartition(scope, bucket);
  return { partition, id: `${partition}|d${bucket}`, bucket };
}
export function hourDocRef(scope: string, t: number): DocRef {
  const bucket = floorTo(t, 'hour').getTime();
  const partition = hourDocPartition(scope, bucket);
  return { partition, id: `${partition}|h${bucket}`, bucket };
}
export function edgeDocRef(t: number): DocRef {
  const bucket = floorTo(t, 'minute').getTime();
  const partition = edgePartition(bucket);
  return { partition, id: `${partition}|m${bucket}`, bucket };
}

/** Slots of a day doc are hours, of an hour doc minutes. */
export const SLOT_MS: Readonly<Record<SlotDocKind, number>> = { day: HOUR, hour: MINUTE };
export const SLOTS: Readonly<Record<SlotDocKind, number>> = { day: 24, hour: 60 };

/**
 * A day or hour doc as stored. Slot arrays are packed into strings ("3,,1" = 3, 0, 1): FerretDB
 * stores every array element with its own type tag and refuses nested arrays, and the read cost
 * on FerretDB is the bytes stored, so the compact form is what keeps reads fast.
 */
export interface SlotDoc {
  _id: string;
  /** Bucket start, for retention (indexed on MongoDB). */
  b: Date;
  /** The compaction batch that last changed this doc: a replayed batch skips docs already at it. */
  seq: number;
  /** Encoded event type → packed counts per slot. */
  c: Record<string, string>;
  /** Packed per-slot sums of the AI completions: prompt tokens, completion tokens, nano-USD. */
  pt: string;
  ct: string;
  usd: string;
}

export interface EdgeDoc {
  _id: string;
  b: Date;
  /** JSON of CompactEvent[]: the minute's events. */
  e: string;
}

export function packSlots(values: number[]): string {
  let end = values.length;
  while (end > 0 && !values[end - 1]) end -= 1;
  return values
    .slice(0, end)
    .map((v) => (v ? String(v) : ''))
    .join(',');
}

export function unpackSlots(packed: string | undefined, slots: number): number[] {
  const out = new Array<number>(slots).fill(0);
  if (!packed) return out;
  packed.split(',').forEach((v, i) => {
    if (v && i < slots) out[i] = Number(v);
  });
  return out;
}

/** Field names may not hold `.` or start with `$` (and FerretDB refuses both anywhere). */
export function encodeTypeKey(type: string): string {
  return type.replace(/%/g, '%25').replace(/\./g, '%2E').replace(/\$/g, '%24');
}
export function decodeTypeKey(key: string): string {
  return key.replace(/%2E/g, '.').replace(/%24/g, '$').replace(/%25/g, '%');
}

/** A slot doc decoded for arithmetic. */
export interface SlotCounts {
  seq: number;
  byType: Map<string, number[]>;
  promptTokens: number[];
  completionTokens: number[];
  usdNano: number[];
}

export function emptySlotCounts(kind: SlotDocKind): SlotCounts {
  const n = SLOTS[kind];
  return { seq: 0, byType: new Map(), promptTokens: new Array(n).fill(0), completionTokens: new Array(n).fill(0), usdNano: new Array(n).fill(0) };
}

export function decodeSlotDoc(kind: SlotDocKind, doc: SlotDoc | null | undefined): SlotCounts {
  const out = emptySlotCounts(kind);
  if (!doc) return out;
  const n = SLOTS[kind];
  out.seq = doc.seq ?? 0;
  for (const [k, packed] of Object.entries(doc.c ?? {})) out.byType.set(decodeTypeKey(k), unpackSlots(packed, n));
  out.promptTokens = unpackSlots(doc.pt, n);
  out.completionTokens = unpackSlots(doc.ct, n);
  out.usdNano = unpackSlots(doc.usd, n);
  return out;
}

export function encodeSlotDoc(ref: DocRef, counts: SlotCounts): SlotDoc {
  const c: Record<string, string> = {};
  for (const [type, slots] of [...counts.byType].sort(([a], [b]) => a.localeCompare(b))) {
    const packed = packSlots(slots);
    if (packed) c[encodeTypeKey(type)] = packed;
  }
  return {
    _id: ref.id,
    b: new Date(ref.bucket),
    seq: counts.seq,
    c,
    pt: packSlots(counts.promptTokens),
    ct: packSlots(counts.completionTokens),
    usd: packSlots(counts.usdNano),
  };
}

/** Adds one event to the slot of `counts` that holds its time. */
export function addToSlots(kind: SlotDocKind, counts: SlotCounts, bucket: number, e: EventFacts): void {
  const slot = Math.floor((e.timeMs - bucket) / SLOT_MS[kind]);
  let slots = counts.byType.get(e.type);
  if (!slots) counts.byType.set(e.type, (slots = new Array<number>(SLOTS[kind]).fill(0)));
  slots[slot] += 1;
  if (e.type === AI_COMPLETION_TYPE) {
    counts.promptTokens[slot] += e.promptTokens;
    counts.completionTokens[slot] += e.completionTokens;
    counts.usdNano[slot] += e.usdNano;
  }
}

/** The scopes an event counts in. */
export function scopesOf(e: EventFacts): string[] {
  return e.userId ? [ALL_SCOPE, scopeKey(e.userId)] : [ALL_SCOPE];
}

/**
 * Retention deletes whole days: what lies before this instant (the UTC day boundary on or before
 * now − days) is gone from the raw events and the rollups alike, so the two always agree.
 */
export function retentionCutoff(now: Date, retentionDays: number): Date {
  return floorTo(now.getTime() - retentionDays * DAY, 'day');
}
