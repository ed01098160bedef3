import { BM25_B, BM25_K1 } from './bm25';

export type TermKind = 'w' | 'x';

/** A chunk as the in-memory keyword index holds it. */
export interface IndexedChunk {
  key: number;
  id: string;
  documentId: string;
  /** Its length in stemmed words and in exact tokens (BM25's dl of each kind). */
  wordCount: number;
  exactCount: number;
  /** Its metadata (the document's), which search filters test. */
  metadata: Record<string, string>;
}

/** The chunks a filter lets through, at one moment (KeywordPostings.allowed). */
export interface ChunkMask {
  mask: Uint8Array;
  count: number;
}

/** A search filter on chunk metadata: the value of `key` is one of `values` (metadata-filter.ts). */
export interface MetadataTest {
  key: string;
  values: string[];
}

/** One posting as PostgreSQL holds it (rag_postings). */
export interface IndexedPosting {
  kind: TermKind;
  term: string;
  chunkKey: number;
  tf: number;
}

/** A query term with the BM25 weight the search's snapshot gives it (idf from rag_terms' df). */
export interface WeightedTerm {
  term: string;
  idf: number;
}

/** Postings appended after a load (a term's tail). */
class PostingList {
  docs: Int32Array;
  tfs: Uint16Array;
  length = 0;

  constructor(capacity: number) {
    this.docs = new Int32Array(Math.max(capacity, 1));
    this.tfs = new Uint16Array(Math.max(capacity, 1));
  }

  push(doc: number, tf: number): void {
    if (this.length === this.docs.length) {
      const docs = new Int32Array(this.docs.length * 2);
      docs.set(this.docs);
      this.docs = docs;
      const tfs = new Uint16Array(this.tfs.length * 2);
      tfs.set(this.tfs);
      this.tfs = tfs;
    }
    this.docs[this.length] = doc;
    this.tfs[this.length++] = Math.min(tf, 0xffff);
  }
}

/**
 * The keyword index of one collection in process memory — every posting of every term, as typed
 * arrays — so a search scores exhaustive BM25 in a loop over arrays instead of aggregating
 * thousands of postings in SQL (the bounded SQL ranker stays for the cases this does not serve).
 * It is a copy of PostgreSQL's index at one `generation` of the collection; the search uses it
 * only when its snapshot shows that same generation, so what it ranks is what that snapshot holds.
 *
 * Chunks get dense numbers in load order; a replaced or deleted document's chunks are marked dead
 * (their postings stay until the next full load), so applying a change costs only the new chunks.
 *
 * A term's postings are a span of one shared pair of arrays (filled by a full load, one term after
 * another), then a tail for postings added later. Spans are typed arrays indexed by a term number,
 * not an object per term: a collection has hundreds of thousands of terms, and that many objects
 * on the heap would be marked by every full garbage collection.
 */
export class KeywordPostings {
  generation = -1;
  /** kind + term → term number. */
  private readonly termNumbers = new Map<string, number>();
  private termStart = new Int32Array(1024);
  private termCapacity = new Int32Array(1024);
  private termLength = new Int32Array(1024);
  private readonly tails = new Map<number, PostingList>();
  private readonly spanDocs: Int32Array;
  private readonly spanTfs: Uint16Array;
  private spanUsed = 0;
  private ids: string[] = [];
  private wordLength = new Int32Array(1024);
  private exactLength = new Int32Array(1024);
  private dead = new Uint8Array(1024);
  /** Each chunk's metadata as an index into `distinctMetadata` (documents mostly share a few values). */
  private metadataOf = new Int32Array(1024);
  private readonly distinctMetadata: Record<string, string>[] = [];
  private readonly metadataIndex = new Map<string, number>();
  private readonly denseOfKey = new Map<number, number>();
  /** Chunk id → dense number, dead chunks' too (numbers are never reused). */
  private readonly denseOfId = new Map<string, number>();
  private readonly chunksOfDocument = new Map<string, { version: number; dense: number[] }>();
  private postingCount = 0;
  private deadCount = 0;
  // Scratch space of one scoring pass, reused (scoring is synchronous: one pass at a time).
  private scores = new Float64Array(0);
  private stamp = new Uint32Array(0);
  private pass = 0;
  private touched = new Int32Array(0);

  /** `postings`: how many a full load will add (sizes the shared arrays); later ones go to tails. */
  constructor(postings = 0) {
    this.spanDocs = new Int32Array(postings);
    this.spanTfs = new Uint16Array(postings);
  }

  /** Postings held (dead chunks' included): what the memory budget counts. */
  get postings(): number {
    return this.postingCount;
  }

  /** Chunks held, live and dead. */
  get chunks(): number {
    return this.ids.length;
  }

  get deadChunks(): number {
    return this.deadCount;
  }

  /** Versions of the documents it holds, to tell which changed. */
  documentVersions(): Map<string, number> {
    return new Map([...this.chunksOfDocument].map(([id, d]) => [id, d.version]));
  }

  /** Chunks held of one document (0 if none). */
  chunksOf(documentId: string): number {
    return this.chunksOfDocument.get(documentId)?.dense.length ?? 0;
  }

  /** Approximate bytes held (typed arrays, ids, maps). */
  bytes(): number {
    let bytes = this.spanDocs.byteLength + this.spanTfs.byteLength;
    for (const term of this.termNumbers.keys()) bytes += 2 * term.length + 40;
    bytes += this.termStart.byteLength * 3;
    for (const tail of this.tails.values()) bytes += tail.docs.byteLength + tail.tfs.byteLength + 200;
    return bytes + this.ids.length * 120 + this.wordLength.byteLength * 2 + this.dead.byteLength + this.scores.byteLength + this.stamp.byteLength + this.touched.byteLength;
  }

  /** Adds one document version's chunks (their postings follow), marking its previous chunks dead. */
  addDocument(documentId: string, version: number, chunks: IndexedChunk[]): void {
    this.removeDocument(documentId);
    const dense: number[] = [];
    for (const c of chunks) {
      const d = this.ids.length;
      this.ensureChunkCapacity(d + 1);
      this.ids.push(c.id);
      this.denseOfId.set(c.id, d);
      const json = JSON.stringify(c.metadata ?? {});
      let m = this.metadataIndex.get(json);
      if (m === undefined) {
        m = this.distinctMetadata.push(c.metadata ?? {}) - 1;
        this.metadataIndex.set(json, m);
      }
      this.metadataOf[d] = m;
      this.wordLength[d] = c.wordCount;
      this.exactLength[d] = c.exactCount;
      this.denseOfKey.set(c.key, d);
      dense.push(d);
    }
    this.chunksOfDocument.set(documentId, { version, dense });
  }

  /** Appends postings of chunks already added, in any order; postings of other chunks are ignored. */
  addPostings(postings: Iterable<IndexedPosting>): void {
    for (const p of postings) this.addPosting(p.kind, p.term, p.chunkKey, p.tf);
  }

  /**
   * Appends one posting. `count`: how many the term has in all, when a full load adds them in a
   * row — a new term then gets a span of that size in the shared arrays if they have room.
   */
  addPosting(kind: TermKind, term: string, chunkKey: number, tf: number, count = 0): void {
    const d = this.denseOfKey.get(chunkKey);
    if (d === undefined) return;
    const name = kind + term;
    let t = this.termNumbers.get(name);
    if (t === undefined) {
      t = this.termNumbers.size;
      this.termNumbers.set(name, t);
      if (t === this.termStart.length) {
        const grow = (a: Int32Array) => {
          const b = new Int32Array(a.length * 2);
          b.set(a);
          return b;
        };
        this.termStart = grow(this.termStart);
        this.termCapacity = grow(this.termCapacity);
        this.termLength = grow(this.termLength);
      }
      const capacity = count > 0 && this.spanUsed + count <= this.spanDocs.length ? count : 0;
      this.termStart[t] = this.spanUsed;
      this.termCapacity[t] = capacity;
      this.termLength[t] = 0;
      this.spanUsed += capacity;
    }
    const filled = this.termLength[t];
    if (filled < this.termCapacity[t] && !this.tails.has(t)) {
      this.spanDocs[this.termStart[t] + filled] = d;
      this.spanTfs[this.termStart[t] + filled] = Math.min(tf, 0xffff);
      this.termLength[t] = filled + 1;
    } else {
      let tail = this.tails.get(t);
      if (!tail) this.tails.set(t, (tail = new PostingList(4)));
      tail.push(d, tf);
    }
    this.postingCount++;
  }

  removeDocument(documentId: string): void {
    const previous = this.chunksOfDocument.get(documentId);
    if (!previous) return;
    for (const d of previous.dense) {
      if (!this.dead[d]) {
        this.dead[d] = 1;
        this.deadCount++;
      }
    }
    this.chunksOfDocument.delete(documentId);
  }

  /** Live chunks (held, not dead). */
  get liveChunks(): number {
    return this.ids.length - this.deadCount;
  }

  /**
   * The live chunks that satisfy every condition (a value of `key` among `values`, as the SQL
   * ranker's `metadata ->> key = ANY(values)`), as a mask for `rank` and `allowedIds`, and how
   * many. Each distinct metadata value is tested once. The mask is this moment's view: chunks
   * added later are outside it, chunks marked dead later stay in it.
   */
  allowed(conditions: MetadataTest[]): ChunkMask {
    const verdicts = new Uint8Array(this.distinctMetadata.length);
    this.distinctMetadata.forEach((m, i) => (verdicts[i] = conditions.every((c) => typeof m[c.key] === 'string' && c.values.includes(m[c.key])) ? 1 : 0));
    const mask = new Uint8Array(this.ids.length);
    let count = 0;
    const { metadataOf, dead } = this;
    for (let d = 0; d < mask.length; d++) {
      if (!dead[d] && verdicts[metadataOf[d]]) {
        mask[d] = 1;
        count++;
      }
    }
    return { mask, count };
  }

  /** Those of `ids` inside the mask, in order (ids it does not hold are outside). */
  allowedIds(allowed: ChunkMask, ids: string[]): string[] {
    return ids.filter((id) => {
      const d = this.denseOfId.get(id);
      return d !== undefined && allowed.mask[d] === 1;
    });
  }

  /**
   * The `limit` best chunks by BM25 over these terms of one kind (any term may match, each
   * weighted by its idf), best first, ties by chunk id — as the SQL ranker orders them.
   * `averageLength` is the collection's in the search's snapshot; `allowed` (from `allowed()`)
   * restricts the chunks ranked.
   */
  rank(kind: TermKind, terms: WeightedTerm[], averageLength: number, limit: number, allowed?: ChunkMask): { id: string; score: number }[] {
    const n = this.ids.length;
    if (this.scores.length < n) {
      const size = Math.max(n, this.scores.length * 2);
      this.scores = new Float64Array(size);
      this.stamp = new Uint32Array(size);
      this.touched = new Int32Array(size);
    }
    const { scores, stamp, touched, dead } = this;
    // Chunks added after the mask was taken lie past its end: outside it.
    const mask = allowed?.mask;
    if (++this.pass === 0xffffffff) {
      stamp.fill(0);
      this.pass = 1;
    }
    const pass = this.pass;
    const lengths = kind === 'w' ? this.wordLength : this.exactLength;
    const norm = BM25_K1 / averageLength;
    const k1b = BM25_K1 * (1 - BM25_B);
    let touchedCount = 0;
    const lengthWeight = BM25_B * norm;
    for (const { term, idf } of terms) {
      const t = this.termNumbers.get(kind + term);
      if (t === undefined) continue;
      const weight = idf * (BM25_K1 + 1);
      const parts: [Int32Array, Uint16Array, number, number][] = [[this.spanDocs, this.spanTfs, this.termStart[t], this.termStart[t] + this.termLength[t]]];
      const tail = this.tails.get(t);
      if (tail) parts.push([tail.docs, tail.tfs, 0, tail.length]);
      for (const [docs, tfs, from, to] of parts) {
        for (let i = from; i < to; i++) {
          const d = docs[i];
          if (dead[d] || (mask && !mask[d])) continue;
          const tf = tfs[i];
          // tf·(k1+1) / (tf + k1·(1 − b + b·dl/avgdl)), times idf
          const w = (weight * tf) / (tf + k1b + lengthWeight * lengths[d]);
          if (stamp[d] !== pass) {
            stamp[d] = pass;
            scores[d] = w;
            touched[touchedCount++] = d;
          } else scores[d] += w;
        }
      }
    }
    return this.best(touched, touchedCount, limit);
  }

  /** The `limit` best of the touched chunks: a bounded min-heap, worst at the root. */
  private best(touched: Int32Array, count: number, limit: number): { id: string; score: number }[] {
    const { scores, ids } = this;
    const heap: number[] = [];
    // a ranks below b: lower score, or the same score and a later id
    const below = (a: number, b: number) => scores[a] < scores[b] || (scores[a] === scores[b] && ids[a] > ids[b]);
    const siftDown = (i: number) => {
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && below(heap[l], heap[m])) m = l;
        if (r < heap.length && below(heap[r], heap[m])) m = r;
        if (m === i) return;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    };
    for (let t = 0; t < count; t++) {
      const d = touched[t];
      if (heap.length < limit) {
        heap.push(d);
        for (let i = heap.length - 1; i > 0; ) {
          const p = (i - 1) >> 1;
          if (!below(heap[i], heap[p])) break;
          [heap[i], heap[p]] = [heap[p], heap[i]];
          i = p;
        }
      } else if (limit > 0 && below(heap[0], d)) {
        heap[0] = d;
        siftDown(0);
      }
    }
    return heap.sort((a, b) => (below(a, b) ? 1 : below(b, a) ? -1 : 0)).map((d) => ({ id: ids[d], score: scores[d] }));
  }

  private ensureChunkCapacity(size: number): void {
    if (size <= this.dead.length) return;
    const capacity = Math.max(size, this.dead.length * 2);
    const grow = <T extends Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(capacity);
      b.set(a);
      return b;
    };
    this.wordLength = grow(this.wordLength, (n) => new Int32Array(n));
    this.exactLength = grow(this.exactLength, (n) => new Int32Array(n));
    this.dead = grow(this.dead, (n) => new Uint8Array(n));
    this.metadataOf = grow(this.metadataOf, (n) => new Int32Array(n));
  }
}
