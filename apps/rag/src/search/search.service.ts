import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Metadata } from '@grpc/grpc-js';
import type { DataSource, QueryRunner } from 'typeorm';
import type { ragV1 } from '@aether/contracts';
import { MetricsService, NotFoundError, Violations } from '@aether/service-kit';
import type { Counter } from 'prom-client';
import { CollectionsService, type CollectionRow } from '../collections/collections.service';
import { RagEnv } from '../config/rag.env';
import { EmbeddingService } from '../embeddings/embedding.service';
import { decodeFloat4Array } from '../vectors/float4-array';
import { cosine, VectorStore, type VectorHit } from '../vectors/vector-store';
import { metadataConditions, metadataSql, type MetadataCondition } from './metadata-filter';
import { bm25TfSql, idfSql } from './bm25';
import { KeywordIndexCache } from './keyword-index-cache';
import type { ChunkMask, KeywordPostings, TermKind } from './keyword-postings';
import { fuse, parseWeights, rerankHead, type FusionConfig, type ListName, type VectorRole } from './rank-fusion';
import { exactTokens, jaccard, normalisedWords, shingles } from './text-analysis';

export const SEARCH_MODES = ['hybrid', 'vector', 'keyword'] as const;
export type SearchMode = (typeof SEARCH_MODES)[number];

/**
 * Near-duplicates are one result: word 3-shingles overlapping this much (same passage, light
 * edits), or — for passages of 8+ words — the same words up to this share (a word added or
 * changed, e.g. "thirty" → "thirty (30)").
 */
const NEAR_DUPLICATE_SHINGLES = 0.8;
const NEAR_DUPLICATE_WORDS = 0.9;
/** Most nearest chunks asked of Chroma unfiltered for a filtered search (~10 ms at 100k chunks). */
const MAX_VECTOR_OVERFETCH = 600;

export interface SearchQuery {
  collection: string;
  query: string;
  k?: number;
  mode?: string;
  filter?: Record<string, string>;
  filters?: { key: string; values: string[] }[];
}

export interface SearchHit {
  chunkId: string;
  documentId: string;
  title: string;
  text: string;
  score: number;
  metadata: Record<string, string>;
  headingPath: string[];
  pageStart: number;
  pageEnd: number;
  /** Cosine similarity when the vector list found it. */
  similarity?: number;
  /** Found by the keyword or exact-token list (shares a word or identifier with the query). */
  lexical: boolean;
}

interface ChunkRow {
  id: string;
  document_id: string;
  title: string;
  text: string;
  metadata: Record<string, string>;
  heading_path: string[];
  page_start: number;
  page_end: number;
  dedup_key: string;
  /** The chunk's embedding from the cache in PostgreSQL's binary form, for the ids asked for (hydrate's `vectorsOf`). */
  vector?: Buffer | null;
}

/** What a search's first statement reads in its snapshot: the query's terms and their statistics. */
interface KeywordPrelude {
  /** The collection's keyword generation (in-memory copies at it rank exactly this snapshot). */
  generation: string;
  chunkCount: number;
  wordCount: number;
  exactCount: number;
  /** The query's stemmed words. */
  words: string[];
  /** Document frequency of each query term present, by kind + term ('w' + stem, 'x' + token). */
  df: Map<string, number>;
}

/** Which keyword ranker a search may use: the in-memory copy when it is current (`auto`), or always SQL. */
export type KeywordRanker = 'auto' | 'sql';

/**
 * Hybrid retrieval: three ranked lists — vectors (Chroma, cosine), BM25 over stemmed words,
 * BM25 over exact identifier tokens — each filtered by the metadata conditions, fused by
 * weighted reciprocal rank fusion (FusionConfig), hydrated from PostgreSQL, near-duplicates collapsed.
 * Every PostgreSQL read of one search runs in one REPEATABLE READ snapshot, taken before Chroma
 * is asked: a document being replaced is seen either old or new by all lists, never both.
 */
@Injectable()
export class SearchService {
  private readonly fusion: FusionConfig;
  private readonly termDepth: number;
  private readonly rankerSearches: Counter<'ranker'>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly collections: CollectionsService,
    private readonly embeddings: EmbeddingService,
    private readonly vectors: VectorStore,
    private readonly keywordIndexes: KeywordIndexCache,
    metrics: MetricsService,
    env: RagEnv,
  ) {
    this.rankerSearches = metrics.counter('rag_keyword_ranker_searches_total', 'Searches with keyword or exact lists, by the ranker that made them (memory: the in-memory copy; sql).', ['ranker']);
    this.fusion = {
      weights: parseWeights(env.RAG_FUSION_WEIGHTS),
      k: env.RAG_FUSION_RRF_K,
      vectorDepth: env.RAG_FUSION_VECTOR_DEPTH,
      vectorRole: env.RAG_FUSION_VECTOR_ROLE as VectorRole,
      rerankDepth: env.RAG_FUSION_RERANK_DEPTH,
      similarityWeight: env.RAG_FUSION_SIMILARITY_WEIGHT,
    };
    this.termDepth = env.RAG_KEYWORD_TERM_DEPTH;
  }

  /** `fusion`, `termDepth` and `ranker` default to the configured ones (the evaluations pass others). */
  async search(req: SearchQuery, caller?: Metadata, fusion: FusionConfig = this.fusion, termDepth = this.termDepth, ranker: KeywordRanker = 'auto'): Promise<{ hits: SearchHit[]; collection: CollectionRow }> {
    const v = new Violations();
    const query = v.requiredText('query', req.query, 2000);
    const k = req.k || 5;
    if (!Number.isInteger(k) || k < 1 || k > 50) v.add('k', 'must be between 1 and 50');
    const mode = (req.mode || 'hybrid') as SearchMode;
    if (!(SEARCH_MODES as readonly string[]).includes(mode)) v.add('mode', 'must be one of hybrid, vector, keyword');
    v.throwIfAny();
    const conditions = metadataConditions(req.filter, req.filters);
    const collection = await this.collections.find(req.collection);
    if (!collection) throw new NotFoundError(`No collection named ${req.collection}`);

    const want = mode === 'vector' ? ['vector'] : mode === 'keyword' ? ['keyword'] : ['vector', 'keyword', 'exact'];
    // Room for near-duplicates and for vectors of versions no longer current.
    const depth = Math.min(200, k * 4 + 20);
    // Fusion takes only the vector list's first RAG_FUSION_VECTOR_DEPTH (twice that leaves room
    // for stale ids); the re-rank reads any other similarity it needs from the embedding cache.
    // Fewer nearest chunks is a cheaper Chroma query, and a much cheaper filtered one (vectorList).
    const vectorDepth = mode === 'hybrid' ? Math.min(depth, 2 * fusion.vectorDepth) : depth;
    const queryVector = want.includes('vector') ? await this.embeddings.embedQuery(collection.embedding_model, query!, caller) : undefined;

    const runner = this.db.createQueryRunner('slave');
    await runner.connect();
    let committing = false;
    try {
      await runner.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      // The first statement takes the snapshot (the query's stemmed words and their statistics,
      // when they are needed); Chroma is asked after it, while PostgreSQL ranks.
      // (A filtered vector search reads them too: the in-memory copy then filters its hits.)
      const lexical = want.includes('keyword') || want.includes('exact');
      const tokens = want.includes('exact') ? [...new Set(exactTokens(query!))] : [];
      const prelude = lexical || conditions.length ? await this.prelude(runner, collection, query!, tokens) : (await runner.query('SELECT 1'), undefined);
      // The in-memory copy of the keyword index, if it is at this snapshot's generation, and the
      // chunks of this snapshot that pass the filter. Both lexical lists are ranked with them
      // before anything is awaited; the mask stays this snapshot's view while Chroma answers.
      const memory = prelude && ranker === 'auto' ? this.keywordIndexes.lookup(collection.vector_space, collection.name, prelude.generation) : undefined;
      const allowed = memory && conditions.length ? memory.allowed(conditions) : undefined;
      if (lexical) this.rankerSearches.inc({ ranker: memory ? 'memory' : 'sql' });
      const vectorHits = queryVector ? this.vectorList(collection.vector_space, queryVector, vectorDepth, conditions, memory, allowed) : Promise.resolve([]);
      vectorHits.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
      const lists: Partial<Record<ListName, string[]>> = {};
      const bm25Scores = new Map<string, number>();
      if (want.includes('keyword')) {
        const keyword = memory ? rankInMemory(memory, 'w', prelude!.words, prelude!, depth, allowed) : await this.bm25(runner, 'w', collection, prelude!.words, conditions, depth, termDepth);
        lists.keyword = keyword.map((r) => r.id);
        keyword.forEach((r) => bm25Scores.set(r.id, r.score));
      }
      if (want.includes('exact')) {
        lists.exact = !tokens.length ? [] : (memory ? rankInMemory(memory, 'x', tokens, prelude!, depth, allowed) : await this.bm25(runner, 'x', collection, tokens, conditions, depth, termDepth)).map((r) => r.id);
      }
      // Rows are read for the best-ranked ids only — enough for k results after stale ids and
      // near-duplicates are dropped, in most searches — and for the next ones while k are not
      // found (hydrating all ~100 fused ids' texts was 3 ms of a hybrid search at 100k chunks).
      const rowsWanted = Math.max(fusion.rerankDepth + 10, 2 * k + 10);
      const rerank = mode === 'hybrid' && !!queryVector && fusion.rerankDepth > 1 && fusion.similarityWeight > 0;
      // While Chroma answers, the rows (and cached embeddings, for the re-rank) of the lexical
      // lists' best are read: vectors only add chunks to those (or, with role fuse, lift some of
      // their own), so the fused head is mostly these rows, and the rest is read after.
      const early = mode === 'hybrid' && queryVector ? this.readLexicalHead(runner, lists, fusion, rowsWanted, conditions, rerank ? collection.embedding_model : undefined) : undefined;
      early?.rows.catch(() => undefined); // awaited below
      const similarity = new Map<string, number>();
      if (queryVector) {
        const hits = await vectorHits;
        lists.vector = hits.map((h) => h.id);
        hits.forEach((h) => similarity.set(h.id, h.similarity));
      }
      const lexicalIds = new Set([...(lists.keyword ?? []), ...(lists.exact ?? [])]);
      let ranked =
        mode === 'hybrid'
          ? fuse(lists, fusion)
          : (lists[mode as ListName] ?? []).map((id) => ({ id, score: mode === 'vector' ? (similarity.get(id) ?? 0) : (bm25Scores.get(id) ?? 0) }));
      // The re-rank only reorders the head; the similarities the vector list did not give come
      // with the rows, from the embedding cache (one statement instead of a Chroma read), and
      // from Chroma only for a chunk whose cached embedding is gone. Over-asking a little: ids
      // that turn out stale are ignored.
      const head = rerank ? ranked.slice(0, fusion.rerankDepth + 10).map((r) => r.id).filter((id) => !similarity.has(id)) : [];
      let hydrated = Math.min(ranked.length, rowsWanted);
      const asked = new Set(early?.ids ?? []);
      const rows = early ? await early.rows : new Map<string, ChunkRow>();
      const unread = ranked.slice(0, hydrated).map((r) => r.id).filter((id) => !asked.has(id));
      const headUnread = head.filter((id) => !asked.has(id));
      if (unread.length) {
        for (const [id, row] of await this.hydrate(runner, unread, conditions, headUnread.length ? { model: collection.embedding_model, ids: headUnread } : undefined)) rows.set(id, row);
      }
      if (rerank) {
        const uncached: string[] = [];
        for (const id of head) {
          const vector = rows.get(id)?.vector;
          if (vector) similarity.set(id, cosine(queryVector!, decodeFloat4Array(vector)));
          else if (rows.has(id)) uncached.push(id);
        }
        if (uncached.length) for (const [id, sim] of await this.vectors.similarities(collection.vector_space, queryVector!, uncached)) similarity.set(id, sim);
        // Over the chunks that exist in this snapshot: a stale vector id must not shift the head's z-scores.
        const live = ranked.filter((r, i) => i >= hydrated || rows.has(r.id));
        hydrated -= ranked.length - live.length;
        ranked = rerankHead(live, bm25Scores, similarity, fusion);
      }
      let hits = collapse(ranked, hydrated, rows, k, similarity, lexicalIds);
      while (hits.length < k && hydrated < ranked.length) {
        const next = Math.min(ranked.length, Math.max(2 * hydrated, hydrated + 2 * k + 10));
        for (const [id, row] of await this.hydrate(runner, ranked.slice(hydrated, next).map((r) => r.id), conditions)) rows.set(id, row);
        hydrated = next;
        hits = collapse(ranked, hydrated, rows, k, similarity, lexicalIds);
      }
      // Everything is read: the answer need not wait for the read-only transaction's end, and the
      // connection goes back to the pool once it has ended.
      committing = true;
      void runner
        .query('COMMIT')
        .catch(() => undefined)
        .finally(() => runner.release());
      return { hits, collection };
    } catch (err) {
      if (committing) throw err;
      await runner.query('ROLLBACK').catch(() => undefined);
      await runner.release();
      throw err;
    }
  }

  /**
   * BM25 over one kind of postings, bounded: for each query term only its `termDepth` postings
   * of highest impact (BM25's term weight, indexed in descending order) make candidates, and the
   * best candidates are then scored exactly over every query term. Document frequencies come from
   * rag_terms. So a search reads at most terms × termDepth postings plus terms × candidates
   * index probes, however common its words are; a term rarer than termDepth is read whole
   * (exact). Any query term may match (OR semantics), weighted by inverse document frequency —
   * unlike websearch_to_tsquery, which demands every word. The terms are bound as an array and
   * each is an index range of (collection, kind, term), whatever the planner believes about the
   * table (fresh tables have no statistics).
   */
  private async bm25(runner: QueryRunner, kind: 'w' | 'x', collection: CollectionRow, terms: string[], conditions: MetadataCondition[], depth: number, termDepth: number): Promise<{ id: string; score: number }[]> {
    if (terms.length === 0) return [];
    const lengths = kind === 'w' ? 'word_count' : 'exact_count';
    const filter = metadataSql('c', conditions, 6);
    const join = conditions.length ? `JOIN rag_chunks c ON c.key = p.chunk_key AND ${filter.sql}` : '';
    const weight = `q.idf * ${bm25TfSql('p.tf', 'p.dl', 's.avgdl')}`;
    // Candidates scored exactly. Measured at 100k chunks against exhaustive BM25 (60 questions,
    // top 10): term depth 1000 / 100 candidates 91.5 % overlap, 2000 / 200 98.0 %, 2000 / 300
    // 98.3 % at 1.5× the time of 1000 / 100 (apps/rag/eval/search-scale.ts reports the default).
    const candidates = depth + 140;
    // Every lookup is a LATERAL on a whole index key, so each one is an index probe whatever the
    // planner believes about the tables' sizes (fresh tables have no statistics; rag_terms read as
    // a join was scanned whole). `top`: each term's best postings, read in impact order. A term
    // with df ≤ termDepth was read whole, so only the common terms' postings of a candidate that
    // were not among their best are looked up (the primary key holds tf and dl: index-only).
    const rows: { id: string; score: number }[] = await runner.query(
      `WITH s AS MATERIALIZED (SELECT greatest(chunk_count, 1)::float8 AS n, greatest(${lengths}::float8 / greatest(chunk_count, 1), 1) AS avgdl FROM rag_collections WHERE name = $1),
       q AS MATERIALIZED (
         SELECT u.term, t.df, ${idfSql('s.n', 't.df')} AS idf FROM s CROSS JOIN unnest($2::text[]) AS u(term)
         CROSS JOIN LATERAL (SELECT df::float8 AS df FROM rag_terms t WHERE t.collection = $1 AND t.kind = '${kind}' AND t.term = u.term AND t.df > 0 LIMIT 1) t
       ),
       top AS MATERIALIZED (
         SELECT q.term, p.chunk_key, ${weight} AS w FROM q CROSS JOIN s CROSS JOIN LATERAL (
           SELECT p.chunk_key, p.tf, p.dl FROM rag_postings p ${join}
           WHERE p.collection = $1 AND p.kind = '${kind}' AND p.term = q.term
           ORDER BY p.impact DESC LIMIT $4
         ) p
       ),
       cand AS MATERIALIZED (SELECT chunk_key, sum(w) AS seen FROM top GROUP BY chunk_key ORDER BY seen DESC, chunk_key LIMIT $5),
       rest AS MATERIALIZED (
         SELECT c.chunk_key, ${weight} AS w
         FROM cand c CROSS JOIN q CROSS JOIN s
         CROSS JOIN LATERAL (
           SELECT p.tf, p.dl FROM rag_postings p WHERE p.collection = $1 AND p.kind = '${kind}' AND p.term = q.term AND p.chunk_key = c.chunk_key OFFSET 0
         ) p
         WHERE q.df > $4 AND NOT EXISTS (SELECT 1 FROM top WHERE top.term = q.term AND top.chunk_key = c.chunk_key)
       )
       SELECT ch.id, c.seen + coalesce(r.w, 0) AS score
       FROM cand c LEFT JOIN (SELECT chunk_key, sum(w) AS w FROM rest GROUP BY chunk_key) r USING (chunk_key)
       JOIN rag_chunks ch ON ch.key = c.chunk_key
       ORDER BY score DESC, ch.id LIMIT $3`,
      [collection.name, terms, depth, termDepth, candidates, ...filter.params],
    );
    return rows.map((r) => ({ id: r.id, score: Number(r.score) }));
  }

  /**
   * The query's words as the keyword index holds them (PostgreSQL's english stems, stop words
   * dropped), the collection's keyword generation and statistics, and the document frequencies of
   * those words and of the exact tokens — each one an index probe of rag_terms.
   */
  private async prelude(runner: QueryRunner, collection: CollectionRow, query: string, tokens: string[]): Promise<KeywordPrelude> {
    const rows: { generation: string; chunk_count: number; word_count: string; exact_count: string; words: string[] | null; df: [TermKind, string, number][] | null }[] = await runner.query(
      `WITH w AS (SELECT array_agg(DISTINCT lexeme) AS words FROM unnest(to_tsvector('english', $2::text)))
       SELECT c.keyword_generation::text AS generation, c.chunk_count, c.word_count::text, c.exact_count::text, w.words,
         (SELECT json_agg(json_build_array(t.kind, t.term, t.df)) FROM (
            SELECT 'w'::"char" AS kind, u.term FROM unnest(w.words) AS u(term) UNION ALL SELECT 'x'::"char", u.term FROM unnest($3::text[]) AS u(term)
          ) u CROSS JOIN LATERAL (SELECT t.kind, t.term, t.df FROM rag_terms t WHERE t.collection = c.name AND t.kind = u.kind AND t.term = u.term AND t.df > 0 LIMIT 1) t) AS df
       FROM rag_collections c CROSS JOIN w WHERE c.name = $1`,
      [collection.name, query, tokens],
    );
    if (!rows.length) throw new NotFoundError(`No collection named ${collection.name}`);
    const r = rows[0];
    return {
      generation: r.generation,
      chunkCount: r.chunk_count,
      wordCount: Number(r.word_count),
      exactCount: Number(r.exact_count),
      words: r.words ?? [],
      df: new Map((r.df ?? []).map(([kind, term, df]) => [kind + term, df])),
    };
  }

  /**
   * The vector list. Chroma's own metadata filter is slow on a large collection (80 ms at 100k
   * chunks for a filter a quarter of them pass, against 3.5 ms unfiltered): when the in-memory
   * copy knows which chunks pass, Chroma is asked unfiltered for enough nearest chunks that, at
   * the share passing, `depth` of them pass with a margin (at most MAX_VECTOR_OVERFETCH), and the
   * copy's mask filters them. Too few passing: Chroma's filter after all.
   */
  private async vectorList(space: string, vector: number[], depth: number, conditions: MetadataCondition[], memory?: KeywordPostings, allowed?: ChunkMask): Promise<VectorHit[]> {
    if (!conditions.length || !memory || !allowed) return this.vectors.query(space, vector, depth, conditions);
    if (allowed.count === 0) return [];
    // Passing hits of n nearest ≈ binomial(n, share): aim `depth` plus three of its deviations, plus 10.
    const share = allowed.count / Math.max(memory.liveChunks, 1);
    const n = Math.ceil((depth + 3 * Math.sqrt(depth) + 10) / share);
    if (n > MAX_VECTOR_OVERFETCH) return this.vectors.query(space, vector, depth, conditions);
    const hits = await this.vectors.query(space, vector, n, []);
    const passing = new Set(memory.allowedIds(allowed, hits.map((h) => h.id)));
    const kept = hits.filter((h) => passing.has(h.id));
    if (kept.length >= Math.min(depth, allowed.count) || hits.length < n) return kept.slice(0, depth);
    return this.vectors.query(space, vector, depth, conditions);
  }

  /**
   * The rows of the best `count` ids of the lexical lists fused alone, with the cached embeddings
   * of the first ones (the re-rank's head) when `model` is given.
   */
  private readLexicalHead(runner: QueryRunner, lists: Partial<Record<ListName, string[]>>, fusion: FusionConfig, count: number, conditions: MetadataCondition[], model?: string): { ids: string[]; rows: Promise<Map<string, ChunkRow>> } {
    const ids = fuse({ keyword: lists.keyword, exact: lists.exact }, fusion).slice(0, count).map((r) => r.id);
    return { ids, rows: this.hydrate(runner, ids, conditions, model ? { model, ids: ids.slice(0, fusion.rerankDepth + 10) } : undefined) };
  }

  /**
   * The chunks of these ids that exist (current versions only) and satisfy the conditions; with
   * `vectorsOf`, those chunks' cached embeddings (rag_embeddings, keyed by the chunk's hash).
   */
  private async hydrate(runner: QueryRunner, ids: string[], conditions: MetadataCondition[], vectorsOf?: { model: string; ids: string[] }): Promise<Map<string, ChunkRow>> {
    if (ids.length === 0) return new Map();
    const filter = metadataSql('c', conditions, 4);
    // The condition on the outer row gates the lookup: only the asked-for chunks probe the cache.
    const rows: ChunkRow[] = await runner.query(
      `SELECT c.id, c.document_id, d.title, c.text, c.metadata, c.heading_path, c.page_start, c.page_end, c.dedup_key, array_send(e.vector) AS vector
       FROM rag_chunks c JOIN rag_documents d ON d.id = c.document_id AND d.version = c.version
       LEFT JOIN LATERAL (
         SELECT e.vector FROM rag_embeddings e WHERE c.id = ANY($3::text[]) AND e.model = $2 AND e.content_hash = c.content_hash
       ) e ON true
       WHERE c.id = ANY($1::text[]) AND ${filter.sql}`,
      [ids, vectorsOf?.model ?? '', vectorsOf?.ids ?? [], ...filter.params],
    );
    return new Map(rows.map((r) => [r.id, r]));
  }
}

/**
 * BM25 over every posting of the terms (any may match), from the in-memory copy, with the
 * snapshot's statistics — the same formula as the SQL ranker's (bm25.ts), without its depth bound.
 */
function rankInMemory(index: KeywordPostings, kind: TermKind, terms: string[], prelude: KeywordPrelude, depth: number, allowed?: ChunkMask): { id: string; score: number }[] {
  const n = Math.max(prelude.chunkCount, 1);
  const averageLength = Math.max((kind === 'w' ? prelude.wordCount : prelude.exactCount) / n, 1);
  const weighted = [];
  for (const term of terms) {
    const df = prelude.df.get(kind + term);
    if (df) weighted.push({ term, idf: Math.log(1 + (n - df + 0.5) / (df + 0.5)) });
  }
  return index.rank(kind, weighted, averageLength, depth, allowed);
}

/**
 * Best first, at most `k`, skipping stale ids and chunks that repeat (or nearly repeat) a better
 * one; over the first `hydrated` of `ranked` (those whose rows were read).
 */
function collapse(ranked: { id: string; score: number }[], hydrated: number, rows: Map<string, ChunkRow>, k: number, similarity: Map<string, number>, lexical: Set<string>): SearchHit[] {
  const hits: SearchHit[] = [];
  const keys = new Set<string>();
  const kept: { sh: Set<string>; words: Set<string> }[] = [];
  for (const { id, score } of ranked.slice(0, hydrated)) {
    if (hits.length >= k) break;
    const row = rows.get(id);
    if (!row || keys.has(row.dedup_key)) continue;
    const sh = shingles(row.text);
    const words = new Set(normalisedWords(row.text));
    const nearDuplicate = kept.some(
      (other) => jaccard(sh, other.sh) >= NEAR_DUPLICATE_SHINGLES || (words.size >= 8 && jaccard(words, other.words) >= NEAR_DUPLICATE_WORDS),
    );
    if (nearDuplicate) continue;
    keys.add(row.dedup_key);
    kept.push({ sh, words });
    hits.push({
      chunkId: row.id,
      documentId: row.document_id,
      title: row.title,
      text: row.text,
      score,
      metadata: row.metadata ?? {},
      headingPath: row.heading_path ?? [],
      pageStart: row.page_start,
      pageEnd: row.page_end,
      similarity: similarity.get(id),
      lexical: lexical.has(id),
    });
  }
  return hits;
}

export function toSearchResult(h: SearchHit): ragV1.SearchResult {
  return {
    documentId: h.documentId,
    chunkId: h.chunkId,
    title: h.title,
    text: h.text,
    score: h.score,
    metadata: h.metadata,
    headingPath: h.headingPath,
    pageStart: h.pageStart,
    pageEnd: h.pageEnd,
  };
}
