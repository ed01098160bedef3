import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The registry of rag: collections, documents (current version + content hash), their chunks
 * (versioned ids, offsets, pages, heading path), the keyword index (postings of stemmed words and
 * of exact identifier tokens, with the per-collection statistics BM25 needs) and the embedding
 * cache. Chroma holds only vectors; a chunk exists for search exactly when its row is here.
 */
export class CreateRagSchema1796113091416 implements MigrationInterface {
  name = 'CreateRagSchema1796113091416';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE rag_collections (
        name            text PRIMARY KEY,
        description     text NOT NULL DEFAULT '',
        embedding_model text NOT NULL,
        -- Name of its Chroma collection (unique per creation, so a re-created collection never sees old vectors).
        vector_space    text NOT NULL UNIQUE,
        document_count  integer NOT NULL DEFAULT 0,
        chunk_count     integer NOT NULL DEFAULT 0,
        -- Sum of the word counts of its chunks (BM25's average length).
        word_count      bigint NOT NULL DEFAULT 0,
        exact_count     bigint NOT NULL DEFAULT 0,
        created_by      uuid,
        created_at      timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE rag_documents (
        id           uuid PRIMARY KEY,
        collection   text NOT NULL REFERENCES rag_collections(name) ON DELETE CASCADE,
        title        text NOT NULL,
        mime_type    text NOT NULL,
        metadata     jsonb NOT NULL DEFAULT '{}',
        source_url   text NOT NULL DEFAULT '',
        content_hash text NOT NULL,
        size_bytes   bigint NOT NULL,
        version      integer NOT NULL,
        chunk_count  integer NOT NULL,
        created_by   uuid,
        created_at   timestamptz NOT NULL DEFAULT now(),
        updated_at   timestamptz NOT NULL DEFAULT now(),
        UNIQUE (collection, title)
      )`);
    await q.query(`CREATE INDEX rag_documents_page ON rag_documents (collection, created_at, id)`);
    await q.query(`CREATE INDEX rag_documents_all_page ON rag_documents (created_at, id)`);
    await q.query(`
      CREATE TABLE rag_chunks (
        id            text PRIMARY KEY,
        document_id   uuid NOT NULL REFERENCES rag_documents(id) ON DELETE CASCADE,
        collection    text NOT NULL,
        version       integer NOT NULL,
        ordinal       integer NOT NULL,
        text          text NOT NULL,
        heading_path  text[] NOT NULL DEFAULT '{}',
        start_offset  integer NOT NULL,
        end_offset    integer NOT NULL,
        page_start    integer NOT NULL DEFAULT 0,
        page_end      integer NOT NULL DEFAULT 0,
        content_hash  text NOT NULL,
        -- Hash of the text with case, punctuation and spacing removed: near-duplicates share it.
        dedup_key     text NOT NULL,
        word_count    integer NOT NULL,
        exact_count   integer NOT NULL,
        metadata      jsonb NOT NULL DEFAULT '{}'
      )`);
    await q.query(`CREATE INDEX rag_chunks_document ON rag_chunks (document_id, version)`);
    await q.query(`CREATE INDEX rag_chunks_metadata ON rag_chunks USING gin (metadata jsonb_path_ops)`);
    // Postings: kind 'w' = stemmed word (PostgreSQL's english text search configuration), 'x' =
    // exact token (identifiers such as ERR_AUTH_401, lower-cased, unsplit).
    await q.query(`
      CREATE TABLE rag_postings (
        collection text NOT NULL,
        kind       "char" NOT NULL,
        term       text NOT NULL,
        chunk_id   text NOT NULL REFERENCES rag_chunks(id) ON DELETE CASCADE,
        tf         integer NOT NULL,
        -- The chunk's length in terms of this kind (BM25 length normalisation without a join).
        dl         integer NOT NULL,
        PRIMARY KEY (collection, kind, term, chunk_id)
      )`);
    await q.query(`CREATE INDEX rag_postings_chunk ON rag_postings (chunk_id)`);
    // Vectors of replaced or deleted chunks, removed from Chroma after a grace period: a search
    // whose PostgreSQL snapshot still shows the old version must still find its vectors.
    await q.query(`
      CREATE TABLE rag_vector_garbage (
        id           bigserial PRIMARY KEY,
        vector_space text NOT NULL,
        chunk_ids    text[] NOT NULL,
        -- Whole Chroma collection (a deleted rag collection) instead of chunk ids.
        whole_space  boolean NOT NULL DEFAULT false,
        delete_after timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE rag_embeddings (
        model        text NOT NULL,
        content_hash text NOT NULL,
        vector       real[] NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (model, content_hash)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE rag_embeddings, rag_vector_garbage, rag_postings, rag_chunks, rag_documents, rag_collections`);
  }
}
