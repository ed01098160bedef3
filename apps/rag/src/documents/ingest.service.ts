import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { DocumentIngestedEvent, type ragV1 } from '@aether/contracts';
import { OutboxService } from '@aether/messaging';
import { NotFoundError, ValidationError, Violations } from '@aether/service-kit';
import { CollectionsService } from '../collections/collections.service';
import type { Caller } from '../common/actor';
import { RagEnv } from '../config/rag.env';
import { EmbeddingService } from '../embeddings/embedding.service';
import { chunkDocument, type Chunk } from '../ingest/chunker';
import { extractText, MIME_TYPES, type MimeType } from '../ingest/extract';
import { averageLengthSql as averageLength, bm25TfSql } from '../search/bm25';
import { checkMetadata } from '../search/metadata-filter';
import { exactTokens, dedupKey, sha256, termFrequencies } from '../search/text-analysis';
import { VectorStore } from '../vectors/vector-store';
import { toDocumentMessage, type DocumentRow } from './document.mapper';

/** Rows of an UPDATE/DELETE ... RETURNING (TypeORM's postgres driver answers [rows, count] for those). */
export function returnedRows<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return (result as T[]) ?? [];
}

export interface IngestResult {
  document: DocumentRow;
  unchanged: boolean;
}

/** What a chunk is embedded and keyword-indexed as: its context (title, headings) and its text. */
export function indexedText(title: string, chunk: Pick<Chunk, 'headingPath' | 'text'>): string {
  const context = [title, ...chunk.headingPath].filter(Boolean).join(' > ');
  return context ? `${context}\n\n${chunk.text}` : chunk.text;
}

/**
 * Ingest: extract → structure-aware chunks → embeddings (cached by chunk hash) → one
 * PostgreSQL transaction that switches the document to its new version (new chunks and
 * postings in, old ones out), so a search's snapshot sees exactly one version. New vectors go
 * to Chroma before the switch under versioned ids (invisible until their rows exist); old ones
 * are removed after a grace period (VectorGarbageCollector).
 */
@Injectable()
export class IngestService {
  private readonly log = new Logger(IngestService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly collections: CollectionsService,
    private readonly embeddings: EmbeddingService,
    private readonly vectors: VectorStore,
    private readonly outbox: OutboxService,
    private readonly env: RagEnv,
  ) {}

  async ingest(caller: Caller, req: ragV1.IngestDocumentRequest): Promise<IngestResult> {
    const started = Date.now();
    const v = new Violations();
    const title = v.requiredText('title', req.title, 500);
    const mimeType = v.oneOf('mimeType', req.mimeType ?? '', MIME_TYPES);
    const metadata = checkMetadata(v, 'metadata', req.metadata);
    v.text('sourceUrl', req.sourceUrl ?? '', 2048);
    const content = req.content ?? new Uint8Array();
    if (content.length === 0) v.add('content', 'is required');
    if (content.length > this.env.RAG_MAX_UPLOAD_BYTES) v.add('content', `is larger than ${this.env.RAG_MAX_UPLOAD_BYTES} bytes`);
    v.throwIfAny();
    const collection = await this.collections.find(req.collection);
    if (!collection) throw new NotFoundError(`No collection named ${req.collection}`);

    const contentHash = `sha256:${sha256(content)}`;
    const existing = await this.findByTitle(req.collection, title!);
    if (existing?.content_hash === contentHash) return { document: existing, unchanged: true };

    const extracted = await extractText(content, mimeType as MimeType);
    const chunks = chunkDocument(extracted, { maxChars: this.env.RAG_CHUNK_MAX_CHARS });
    if (chunks.length === 0) throw new ValidationError('The document has no text', [{ field: 'content', message: 'has no text' }], 'UNREADABLE_DOCUMENT');
    const prepared = chunks.map((c) => {
      const indexed = indexedText(title!, c);
      const exact = termFrequencies(exactTokens(indexed));
      return { chunk: c, indexed, hash: sha256(indexed), exact, exactCount: [...exact.values()].reduce((a, b) => a + b, 0) };
    });
    const vectors = await this.embeddings.embedChunks(collection.embedding_model, prepared.map((p) => ({ hash: p.hash, text: p.indexed })), caller.metadata);

    const outcome = await this.db.transaction(async (m) => {
      // One writer per (collection, title): concurrent ingests of one document queue here.
      await m.query(`SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))`, [`rag:${req.collection}`, title]);
      const current = (await m.query(`SELECT * FROM rag_documents WHERE collection = $1 AND title = $2 FOR UPDATE`, [req.collection, title]))[0] as DocumentRow | undefined;
      if (current?.content_hash === contentHash) return { document: current, unchanged: true, replaced: false };
      // KEY SHARE: blocks the collection's deletion, not the counter update of a concurrent ingest
      // (FOR SHARE did, and two ingests into one collection then deadlocked at that update).
      const live = (await m.query(`SELECT 1 FROM rag_collections WHERE name = $1 FOR KEY SHARE`, [req.collection])).length > 0;
      if (!live) throw new NotFoundError(`No collection named ${req.collection}`);
      const id = current?.id ?? randomUUID();
      const version = (current?.version ?? 0) + 1;
      const ids = prepared.map((p) => `${id}:${version}:${p.chunk.ordinal}`);
      await this.vectors.upsert(
        collection.vector_space,
        prepared.map((p, i) => ({ id: ids[i], vector: vectors.get(p.hash)!, documentId: id, metadata })),
      );
      const doc = await this.writeDocument(m, { id, current, collection: req.collection, title: title!, mimeType: mimeType!, metadata, sourceUrl: req.sourceUrl ?? '', contentHash, size: content.length, version, chunks: prepared.length, userId: caller.userId });
      await m.query(
        `INSERT INTO rag_chunks (id, document_id, collection, version, ordinal, text, heading_path, start_offset, end_offset, page_start, page_end, content_hash, dedup_key, word_count, exact_count, metadata)
         SELECT t.id, $1, $2, $3, t.ordinal, t.text, ARRAY(SELECT jsonb_array_elements_text(t.heading)), t.s, t.e, t.ps, t.pe, t.hash, t.dedup, 0, t.xc, $4::jsonb
         FROM unnest($5::text[], $6::int[], $7::text[], $8::jsonb[], $9::int[], $10::int[], $11::int[], $12::int[], $13::text[], $14::text[], $15::int[])
           AS t(id, ordinal, text, heading, s, e, ps, pe, hash, dedup, xc)`,
        [
          id, req.collection, version, JSON.stringify(metadata),
          ids, prepared.map((p) => p.chunk.ordinal), prepared.map((p) => p.chunk.text), prepared.map((p) => JSON.stringify(p.chunk.headingPath)),
          prepared.map((p) => p.chunk.start), prepared.map((p) => p.chunk.end), prepared.map((p) => p.chunk.pageStart), prepared.map((p) => p.chunk.pageEnd),
          prepared.map((p) => p.hash), prepared.map((p) => dedupKey(p.chunk.text)), prepared.map((p) => p.exactCount),
        ],
      );
      await this.indexChunks(m, req.collection, id, version, title!, prepared.map((p, i) => ({ id: ids[i], exact: p.exact, exactCount: p.exactCount })));
      const removed = current ? await this.removeVersion(m, req.collection, collection.vector_space, id, current.version) : { chunks: 0, words: 0, exact: 0 };
      const added: { words: string; exact: string }[] = await m.query(
        `SELECT coalesce(sum(word_count), 0) AS words, coalesce(sum(exact_count), 0) AS exact FROM rag_chunks WHERE document_id = $1 AND version = $2`,
        [id, version],
      );
      await m.query(
        `UPDATE rag_collections SET keyword_generation = keyword_generation + 1, document_count = document_count + $2, chunk_count = chunk_count + $3, word_count = word_count + $4, exact_count = exact_count + $5 WHERE name = $1`,
        [req.collection, current ? 0 : 1, prepared.length - removed.chunks, Number(added[0].words) - removed.words, Number(added[0].exact) - removed.exact],
      );
      await this.outbox.publish(m, DocumentIngestedEvent, { document: toDocumentMessage(doc), replaced: !!current, durationMs: Date.now() - started }, { subject: caller.userId });
      return { document: doc, unchanged: false, replaced: !!current };
    });
    if (outcome.replaced) this.log.log({ document: outcome.document.id, version: outcome.document.version }, 'document replaced');
    return { document: outcome.document, unchanged: outcome.unchanged };
  }

  private async findByTitle(collection: string, title: string): Promise<DocumentRow | undefined> {
    return (await this.db.query(`SELECT * FROM rag_documents WHERE collection = $1 AND title = $2`, [collection, title]))[0];
  }

  private async writeDocument(
    m: EntityManager,
    d: { id: string; current?: DocumentRow; collection: string; title: string; mimeType: string; metadata: Record<string, string>; sourceUrl: string; contentHash: string; size: number; version: number; chunks: number; userId: string },
  ): Promise<DocumentRow> {
    const rows: DocumentRow[] = d.current
      ? returnedRows(
          await m.query(
            `UPDATE rag_documents SET mime_type = $2, metadata = $3, source_url = $4, content_hash = $5, size_bytes = $6, version = $7, chunk_count = $8, updated_at = now()
             WHERE id = $1 RETURNING *`,
            [d.id, d.mimeType, JSON.stringify(d.metadata), d.sourceUrl, d.contentHash, d.size, d.version, d.chunks],
          ),
        )
      : await m.query(
          `INSERT INTO rag_documents (id, collection, title, mime_type, metadata, source_url, content_hash, size_bytes, version, chunk_count, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING *`,
          [d.id, d.collection, d.title, d.mimeType, JSON.stringify(d.metadata), d.sourceUrl, d.contentHash, d.size, d.version, d.chunks, d.userId],
        );
    return rows[0];
  }

  /**
   * The keyword index of one version's chunks, already in rag_chunks: postings of their stemmed
   * words and exact tokens, each with its BM25 impact, and the terms' document frequencies.
   * Public for the scale evaluation's bulk loader (apps/rag/eval/search-scale.ts), which must
   * index exactly as ingest does.
   */
  async indexChunks(m: EntityManager, collection: string, documentId: string, version: number, title: string, chunks: { id: string; exact: Map<string, number>; exactCount: number }[]): Promise<void> {
    await this.indexWords(m, collection, documentId, version, title);
    const exactRows = chunks.flatMap((c) => [...c.exact].map(([term, tf]) => [c.id, term, tf, c.exactCount] as const));
    if (exactRows.length) {
      await m.query(
        `WITH t AS (SELECT * FROM unnest($2::text[], $3::text[], $4::int[], $5::int[]) AS t(chunk, term, tf, dl)),
         s AS (SELECT ${averageLength('exact_count', '(SELECT avg(dl) FROM t)')} AS avgdl FROM rag_collections WHERE name = $1)
         INSERT INTO rag_postings (collection, kind, term, chunk_key, tf, dl, impact) SELECT $1, 'x', t.term, c.key, t.tf, t.dl, ${bm25TfSql('t.tf', 't.dl', 's.avgdl')}
         FROM t JOIN rag_chunks c ON c.id = t.chunk CROSS JOIN s`,
        [collection, exactRows.map((r) => r[0]), exactRows.map((r) => r[1]), exactRows.map((r) => r[2]), exactRows.map((r) => r[3])],
      );
    }
    await this.countTerms(m, collection, chunks.map((c) => c.id));
  }

  /** Postings of the stemmed words (PostgreSQL's english configuration) of the new version's chunks. */
  private async indexWords(m: EntityManager, collection: string, documentId: string, version: number, title: string): Promise<void> {
    await m.query(
      `WITH w AS (
         SELECT c.id, c.key, t.lexeme, coalesce(array_length(t.positions, 1), 1) AS tf
         FROM rag_chunks c
         CROSS JOIN LATERAL unnest(to_tsvector('english', $4 || ' ' || array_to_string(c.heading_path, ' ') || ' ' || c.text)) AS t
         WHERE c.document_id = $2 AND c.version = $3
       ), dl AS (SELECT id, sum(tf)::int AS dl FROM w GROUP BY id),
       s AS (SELECT ${averageLength('word_count', '(SELECT avg(dl) FROM dl)')} AS avgdl FROM rag_collections WHERE name = $1),
       upd AS (UPDATE rag_chunks c SET word_count = dl.dl FROM dl WHERE c.id = dl.id)
       INSERT INTO rag_postings (collection, kind, term, chunk_key, tf, dl, impact)
       SELECT $1, 'w', w.lexeme, w.key, w.tf, dl.dl, ${bm25TfSql('w.tf', 'dl.dl', 's.avgdl')} FROM w JOIN dl USING (id) CROSS JOIN s`,
      [collection, documentId, version, title],
    );
  }

  /**
   * Document frequencies (rag_terms) are changed by one transaction at a time per collection:
   * concurrent ingests touch the same common terms, and in different orders they would deadlock.
   * Taken late in the transaction (after embedding and Chroma), so it is held briefly.
   */
  private async lockTermStats(m: EntityManager, collection: string): Promise<void> {
    await m.query(`SELECT pg_advisory_xact_lock(hashtext('rag-terms'), hashtext($1))`, [collection]);
  }

  /** Adds the postings of these new chunks to their terms' document frequencies. */
  private async countTerms(m: EntityManager, collection: string, chunkIds: string[]): Promise<void> {
    if (chunkIds.length === 0) return;
    await this.lockTermStats(m, collection);
    await m.query(
      `INSERT INTO rag_terms (collection, kind, term, df)
       SELECT $1, p.kind, p.term, count(*) FROM rag_postings p
       WHERE p.chunk_key = ANY (ARRAY(SELECT c.key FROM rag_chunks c WHERE c.id = ANY($2::text[]))) GROUP BY p.kind, p.term
       ON CONFLICT (collection, kind, term) DO UPDATE SET df = rag_terms.df + excluded.df`,
      [collection, chunkIds],
    );
  }

  /** Takes the postings of one version's chunks (all versions: null) out of the document frequencies. */
  private async uncountTerms(m: EntityManager, collection: string, documentId: string, version: number | null): Promise<void> {
    await this.lockTermStats(m, collection);
    const gone = returnedRows<{ kind: string; term: string; df: number }>(
      await m.query(
        `UPDATE rag_terms t SET df = t.df - d.n
         FROM (SELECT p.kind, p.term, count(*)::int AS n FROM rag_postings p
               WHERE p.chunk_key = ANY (ARRAY(SELECT c.key FROM rag_chunks c WHERE c.document_id = $2 AND ($3::int IS NULL OR c.version = $3)))
               GROUP BY p.kind, p.term) d
         WHERE t.collection = $1 AND t.kind = d.kind AND t.term = d.term
         RETURNING t.kind, t.term, t.df`,
        [collection, documentId, version],
      ),
    ).filter((r) => r.df <= 0);
    if (gone.length) {
      await m.query(
        `DELETE FROM rag_terms t USING unnest($2::"char"[], $3::text[]) AS g(kind, term) WHERE t.collection = $1 AND t.kind = g.kind AND t.term = g.term AND t.df <= 0`,
        [collection, gone.map((g) => g.kind), gone.map((g) => g.term)],
      );
    }
  }

  /** Deletes one version's chunks (postings cascade) and queues its vectors for removal; what it took away. */
  async removeVersion(m: EntityManager, collection: string, space: string, documentId: string, version: number | null): Promise<{ chunks: number; words: number; exact: number }> {
    await this.uncountTerms(m, collection, documentId, version);
    const rows: { id: string; word_count: number; exact_count: number }[] = returnedRows(
      await m.query(
        `DELETE FROM rag_chunks WHERE document_id = $1 AND ($2::int IS NULL OR version = $2) RETURNING id, word_count, exact_count`,
        [documentId, version],
      ),
    );
    if (rows.length) {
      await m.query(`INSERT INTO rag_vector_garbage (vector_space, chunk_ids, delete_after) VALUES ($1, $2, now() + interval '10 seconds')`, [space, rows.map((r) => r.id)]);
    }
    return {
      chunks: rows.length,
      words: rows.reduce((a, r) => a + Number(r.word_count), 0),
      exact: rows.reduce((a, r) => a + Number(r.exact_count), 0),
    };
  }
}
