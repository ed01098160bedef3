import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The keyword ranker reads (chunk_id, tf, dl) of every posting of the query's terms. With them in
 * the index, that read is an index-only scan of each term's range instead of one heap fetch per
 * posting — the difference between BM25 over 100k chunks in a few milliseconds and in tens of
 * them (apps/rag/eval/search-scale.ts, bench/results/rag-search.md).
 */
export class PostingsCoveringIndex1796200000000 implements MigrationInterface {
  name = 'PostingsCoveringIndex1796200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX rag_postings_scan ON rag_postings (collection, kind, term) INCLUDE (chunk_id, tf, dl)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX rag_postings_scan`);
  }
}
