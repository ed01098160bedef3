import type { MigrationInterface, QueryRunner } from 'typeorm';
import { bm25TfSql } from '../search/bm25';

/**
 * A keyword search whose cost does not grow with the corpus: each posting gets its BM25
 * term-frequency weight (`impact`), indexed per term in descending order, so the ranker reads a
 * term's best postings first and stops after RAG_KEYWORD_TERM_DEPTH of them; and the document
 * frequency of every term is kept in rag_terms instead of being counted per search (counting a
 * common word at 100k chunks read tens of thousands of postings every time).
 */
export class BoundedKeywordRanker1796300000000 implements MigrationInterface {
  name = 'BoundedKeywordRanker1796300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE rag_terms (
        collection text NOT NULL REFERENCES rag_collections(name) ON DELETE CASCADE,
        kind       "char" NOT NULL,
        term       text NOT NULL,
        -- Chunks holding the term (rag_postings rows), kept by ingest and delete in their transactions.
        df         integer NOT NULL,
        PRIMARY KEY (collection, kind, term)
      )`);
    await q.query(`INSERT INTO rag_terms (collection, kind, term, df) SELECT collection, kind, term, count(*) FROM rag_postings GROUP BY 1, 2, 3`);
    await q.query(`ALTER TABLE rag_postings ADD COLUMN impact real`);
    await q.query(
      `UPDATE rag_postings p SET impact = ${bm25TfSql('p.tf', 'p.dl', `greatest((CASE p.kind WHEN 'w' THEN c.word_count ELSE c.exact_count END)::float8 / greatest(c.chunk_count, 1), 1)`)}
       FROM rag_collections c WHERE c.name = p.collection`,
    );
    await q.query(`UPDATE rag_postings SET impact = 0 WHERE impact IS NULL`);
    await q.query(`ALTER TABLE rag_postings ALTER COLUMN impact SET NOT NULL`);
    await q.query(`DROP INDEX IF EXISTS rag_postings_scan`);
    await q.query(`CREATE INDEX rag_postings_impact ON rag_postings (collection, kind, term, impact DESC) INCLUDE (chunk_id, tf, dl)`);
    // The ranker's exact scoring looks up (term, chunk) pairs: with tf and dl in the key's index,
    // each lookup is index-only instead of a heap fetch.
    await q.query(`ALTER TABLE rag_postings DROP CONSTRAINT rag_postings_pkey`);
    await q.query(`ALTER TABLE rag_postings ADD CONSTRAINT rag_postings_pkey PRIMARY KEY (collection, kind, term, chunk_id) INCLUDE (tf, dl)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE rag_postings DROP CONSTRAINT rag_postings_pkey`);
    await q.query(`ALTER TABLE rag_postings ADD CONSTRAINT rag_postings_pkey PRIMARY KEY (collection, kind, term, chunk_id)`);
    await q.query(`DROP INDEX rag_postings_impact`);
    await q.query(`CREATE INDEX rag_postings_scan ON rag_postings (collection, kind, term) INCLUDE (chunk_id, tf, dl)`);
    await q.query(`ALTER TABLE rag_postings DROP COLUMN impact`);
    await q.query(`DROP TABLE rag_terms`);
  }
}
