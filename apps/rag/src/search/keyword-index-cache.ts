import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Counter, Histogram } from 'prom-client';
import type { DataSource, QueryRunner } from 'typeorm';
import { MetricsService } from '@aether/service-kit';
import { RagEnv } from '../config/rag.env';
import { KeywordPostings, type IndexedChunk, type IndexedPosting, type TermKind } from './keyword-postings';

/** Terms read per statement of a full load (bounds the rows held at once). */
const TERMS_PER_PAGE = 20_000;
/** More dead chunks than this share of those held: the next refresh loads the collection whole. */
const DEAD_SHARE_FOR_FULL_LOAD = 0.25;
/** A collection not searched for this long leaves memory. */
const IDLE_EVICTION_MS = 15 * 60_000;
/** A collection too large for the budget is measured again at most this often. */
const TOO_LARGE_RECHECK_MS = 60_000;

interface Entry {
  collection: string;
  index?: KeywordPostings;
  refreshing?: Promise<void>;
  /** The newest generation a search asked for while a refresh ran: refresh again after it. */
  wanted?: string;
  lastUsed: number;
  tooLargeUntil?: number;
}

/**
 * Keeps collections' keyword indexes in process memory (KeywordPostings) within a budget of
 * RAG_KEYWORD_MEMORY_POSTINGS postings, least recently searched out first. PostgreSQL stays the
 * index of record: a copy is used only at the generation (rag_collections.keyword_generation,
 * bumped by every transaction that changes the collection's postings) the search's snapshot
 * shows, and any other search — the first one, one during a refresh, one with metadata filters —
 * runs the SQL ranker. A stale generation starts a refresh in the background: the documents whose
 * version changed are read (their chunks and postings, by index), or the whole collection when
 * there is none yet or too much of it is dead. Keyed by the collection's vector space, which is
 * unique per creation (a re-created collection restarts its generations).
 */
@Injectable()
export class KeywordIndexCache implements OnModuleDestroy {
  private readonly log = new Logger(KeywordIndexCache.name);
  private readonly entries = new Map<string, Entry>();
  private readonly budget: number;
  private readonly loads: Counter<'kind'>;
  private readonly loadSeconds: Histogram<'kind'>;
  private closed = false;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    metrics: MetricsService,
    env: RagEnv,
  ) {
    this.budget = env.RAG_KEYWORD_MEMORY_POSTINGS;
    this.loads = metrics.counter('rag_keyword_index_loads_total', 'Refreshes of in-memory keyword indexes, by kind (full, changes, too_large: over the budget, failed).', ['kind']);
    this.loadSeconds = metrics.histogram('rag_keyword_index_load_seconds', 'Time to refresh an in-memory keyword index, by kind (full, changes).', ['kind'], [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60]);
  }

  get enabled(): boolean {
    return this.budget > 0;
  }

  /**
   * The collection's in-memory index if it is at `generation` (the search's snapshot), else
   * undefined — and a refresh toward it starts in the background.
   */
  lookup(vectorSpace: string, collection: string, generation: string): KeywordPostings | undefined {
    if (!this.enabled || this.closed) return undefined;
    let entry = this.entries.get(vectorSpace);
    if (!entry) this.entries.set(vectorSpace, (entry = { collection, lastUsed: Date.now() }));
    entry.lastUsed = Date.now();
    if (entry.index && String(entry.index.generation) === generation) return entry.index;
    this.refresh(vectorSpace, entry, generation);
    return undefined;
  }

  /** Resolves when the collection's index is loaded at its current generation (tests, evaluations). */
  async warm(vectorSpace: string, collection: string): Promise<KeywordPostings | undefined> {
    for (let attempt = 0; attempt < 20 && this.enabled; attempt++) {
      const rows: { generation: string }[] = await this.db.query(`SELECT keyword_generation::text AS generation FROM rag_collections WHERE vector_space = $1`, [vectorSpace]);
      if (!rows.length) return undefined;
      const index = this.lookup(vectorSpace, collection, rows[0].generation);
      if (index) return index;
      const entry = this.entries.get(vectorSpace)!;
      if (entry.tooLargeUntil) return undefined;
      await entry.refreshing;
    }
    return undefined;
  }

  /** Postings held, over every collection. */
  heldPostings(): number {
    let n = 0;
    for (const e of this.entries.values()) n += e.index?.postings ?? 0;
    return n;
  }

  onModuleDestroy(): void {
    this.closed = true;
    this.entries.clear();
  }

  private refresh(vectorSpace: string, entry: Entry, generation: string): void {
    if (entry.refreshing) {
      entry.wanted = generation;
      return;
    }
    if (entry.tooLargeUntil && Date.now() < entry.tooLargeUntil) return;
    entry.tooLargeUntil = undefined;
    entry.refreshing = this.load(vectorSpace, entry)
      .catch((err: unknown) => {
        if (this.closed) return; // the pool closed under it at shutdown
        this.loads.inc({ kind: 'failed' });
        // The SQL ranker serves meanwhile; the next search tries again.
        this.log.warn({ collection: entry.collection, err: err instanceof Error ? err.message : String(err) }, 'keyword index refresh failed');
      })
      .finally(() => {
        entry.refreshing = undefined;
        const wanted = entry.wanted;
        entry.wanted = undefined;
        if (wanted && !this.closed && String(entry.index?.generation) !== wanted && this.entries.get(vectorSpace) === entry) this.refresh(vectorSpace, entry, wanted);
      });
  }

  /** One refresh, in one read-only snapshot: the generation it reads is the one the copy is at. */
  private async load(vectorSpace: string, entry: Entry): Promise<void> {
    this.evictIdle();
    const runner = this.db.createQueryRunner('slave');
    await runner.connect();
    try {
      await runner.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const rows: { name: string; generation: string }[] = await runner.query(`SELECT name, keyword_generation::text AS generation FROM rag_collections WHERE vector_space = $1`, [vectorSpace]);
      if (!rows.length) {
        this.entries.delete(vectorSpace); // the collection is gone
        return;
      }
      const generation = Number(rows[0].generation);
      const current = entry.index;
      if (current?.generation === generation) return;
      const started = process.hrtime.bigint();
      const documents: { id: string; version: number }[] = await runner.query(`SELECT id, version FROM rag_documents WHERE collection = $1`, [entry.collection]);
      const held = current?.documentVersions();
      const live = new Set(documents.map((d) => d.id));
      const changed = held ? documents.filter((d) => held.get(d.id) !== d.version).map((d) => d.id) : [];
      const removed = held ? [...held.keys()].filter((id) => !live.has(id)) : [];
      let kind: 'full' | 'changes' = 'full';
      if (current) {
        const deadAfter = current.deadChunks + [...changed, ...removed].reduce((n, id) => n + current.chunksOf(id), 0);
        if (deadAfter <= DEAD_SHARE_FOR_FULL_LOAD * Math.max(current.chunks, 1)) kind = 'changes';
      }
      if (current && kind === 'changes') {
        const { chunks, postings } = await this.readDocuments(runner, changed);
        // Applied in one synchronous step: a search sees the copy before or after, never between.
        for (const id of [...removed, ...changed]) current.removeDocument(id);
        for (const [documentId, group] of groupByDocument(chunks)) current.addDocument(documentId, group.version, group.chunks);
        current.addPostings(postings);
        current.generation = generation;
        // Grown past the budget: out of memory now; the next refresh measures it for a full load.
        if (this.heldPostings() > this.budget) entry.index = undefined;
      } else {
        const [{ postings }]: { postings: string | null }[] = await runner.query(`SELECT sum(df)::text AS postings FROM rag_terms WHERE collection = $1`, [entry.collection]);
        const needed = Number(postings ?? 0);
        if (!this.makeRoom(vectorSpace, needed)) {
          this.loads.inc({ kind: 'too_large' });
          this.log.log({ collection: entry.collection, postings: needed, budget: this.budget }, 'keyword index larger than RAG_KEYWORD_MEMORY_POSTINGS: the SQL ranker serves it');
          entry.index = undefined;
          entry.tooLargeUntil = Date.now() + TOO_LARGE_RECHECK_MS;
          return;
        }
        entry.index = await this.readCollection(runner, entry.collection, generation, needed);
      }
      this.loads.inc({ kind });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.loadSeconds.observe({ kind }, seconds);
      this.log.debug({ collection: entry.collection, kind, generation, postings: entry.index?.postings, ms: Math.round(seconds * 1000) }, 'keyword index refreshed');
    } finally {
      await runner.query('COMMIT').catch(() => undefined);
      await runner.release();
    }
  }

  /** The whole collection: its current chunks, then its postings a page of terms at a time (in key order). */
  private async readCollection(runner: QueryRunner, collection: string, generation: number, postings: number): Promise<KeywordPostings> {
    const index = new KeywordPostings(postings);
    const chunkRows: ChunkRow[] = await runner.query(
      `SELECT c.key::text AS key, c.id, c.document_id, d.version, c.word_count, c.exact_count, c.metadata
       FROM rag_documents d JOIN rag_chunks c ON c.document_id = d.id AND c.version = d.version WHERE d.collection = $1`,
      [collection],
    );
    for (const [documentId, group] of groupByDocument(chunkRows.map(toChunk))) index.addDocument(documentId, group.version, group.chunks);
    let after: [string, string] = ['', ''];
    for (;;) {
      const page: { kind: TermKind; term: string; n: number; p: string }[] = await runner.query(
        `SELECT kind, term, count(*)::int AS n, string_agg(chunk_key::text || ':' || tf::text, ',') AS p
         FROM rag_postings WHERE collection = $1 AND (kind, term) > ($2::"char", $3::text)
         GROUP BY kind, term ORDER BY kind, term LIMIT ${TERMS_PER_PAGE}`,
        [collection, after[0], after[1]],
      );
      for (const row of page) parsePostings(index, row.kind, row.term, row.n, row.p);
      if (page.length < TERMS_PER_PAGE) break;
      after = [page[page.length - 1].kind, page[page.length - 1].term];
    }
    index.generation = generation;
    return index;
  }

  /** The current chunks of these documents and their postings (by the chunk-key index). */
  private async readDocuments(runner: QueryRunner, documentIds: string[]): Promise<{ chunks: (IndexedChunk & { version: number })[]; postings: IndexedPosting[] }> {
    if (documentIds.length === 0) return { chunks: [], postings: [] };
    const chunkRows: ChunkRow[] = await runner.query(
      `SELECT c.key::text AS key, c.id, c.document_id, d.version, c.word_count, c.exact_count, c.metadata
       FROM rag_documents d JOIN rag_chunks c ON c.document_id = d.id AND c.version = d.version WHERE d.id = ANY($1::uuid[])`,
      [documentIds],
    );
    const chunks = chunkRows.map(toChunk);
    const rows: { kind: TermKind; term: string; key: string; tf: number }[] = chunks.length
      ? await runner.query(`SELECT kind, term, chunk_key::text AS key, tf FROM rag_postings WHERE chunk_key = ANY($1::bigint[])`, [chunks.map((c) => String(c.key))])
      : [];
    return { chunks, postings: rows.map((r) => ({ kind: r.kind, term: r.term, chunkKey: Number(r.key), tf: r.tf })) };
  }

  /** Evicts least recently searched collections until `postings` more fit; false if they cannot. */
  private makeRoom(vectorSpace: string, postings: number): boolean {
    if (postings > this.budget) return false;
    const others = [...this.entries].filter(([space, e]) => space !== vectorSpace && e.index).sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    let held = this.heldPostings() - (this.entries.get(vectorSpace)?.index?.postings ?? 0);
    for (const [, e] of others) {
      if (held + postings <= this.budget) break;
      held -= e.index!.postings;
      e.index = undefined;
    }
    return held + postings <= this.budget;
  }

  private evictIdle(): void {
    const now = Date.now();
    for (const [space, e] of this.entries) if (!e.refreshing && now - e.lastUsed > IDLE_EVICTION_MS) this.entries.delete(space);
  }
}

interface ChunkRow {
  key: string;
  id: string;
  document_id: string;
  version: number;
  word_count: number;
  exact_count: number;
  metadata: Record<string, string> | null;
}

const toChunk = (r: ChunkRow): IndexedChunk & { version: number } => ({
  key: Number(r.key),
  id: r.id,
  documentId: r.document_id,
  version: r.version,
  wordCount: r.word_count,
  exactCount: r.exact_count,
  metadata: r.metadata ?? {},
});

function groupByDocument(chunks: (IndexedChunk & { version: number })[]): Map<string, { version: number; chunks: IndexedChunk[] }> {
  const groups = new Map<string, { version: number; chunks: IndexedChunk[] }>();
  for (const c of chunks) {
    let g = groups.get(c.documentId);
    if (!g) groups.set(c.documentId, (g = { version: c.version, chunks: [] }));
    g.chunks.push(c);
  }
  return groups;
}

/** "key:tf,key:tf,…" (string_agg's output; decimal digits only) into the index, without splitting strings. */
export function parsePostings(index: KeywordPostings, kind: TermKind, term: string, count: number, text: string): void {
  let key = 0;
  let tf = 0;
  let inTf = false;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 44; // a final ','
    if (c === 58) inTf = true; // ':'
    else if (c === 44) {
      index.addPosting(kind, term, key, tf, count);
      key = 0;
      tf = 0;
      inTf = false;
    } else if (inTf) tf = tf * 10 + (c - 48);
    else key = key * 10 + (c - 48);
  }
}
