import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A collection's keyword generation: bumped by every transaction that changes its postings (ingest
 * and delete, in the statement that updates its counts, so bumps follow commit order). A search
 * whose snapshot shows generation G may rank with an in-memory copy of the index taken at G
 * (search/keyword-index-cache.ts) and be sure it ranks what its snapshot holds.
 */
export class KeywordGeneration1796500000000 implements MigrationInterface {
  name = 'KeywordGeneration1796500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE rag_collections ADD COLUMN keyword_generation bigint NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE rag_collections DROP COLUMN keyword_generation`);
  }
}
