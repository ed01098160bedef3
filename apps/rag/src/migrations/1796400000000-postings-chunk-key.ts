import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Postings name their chunk by an integer key instead of the chunk's text id
 * (`<document uuid>:<version>:<ordinal>`, ~40 bytes): the ranker groups and joins thousands of
 * postings per search by chunk, and hashing an integer is much cheaper than hashing that string.
 * Measured on a copy of the 100k-chunk keyword index: the impact index 885 → 357 MiB, the keyword
 * statement p50 8.1 → 7.2 ms and p99 16.9 → 13.9 ms with the same top 10 for all 60 questions.
 */
export class PostingsChunkKey1796400000000 implements MigrationInterface {
  name = 'PostingsChunkKey1796400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE rag_chunks ADD COLUMN key bigint GENERATED ALWAYS AS IDENTITY`);
    await q.query(`ALTER TABLE rag_chunks ADD CONSTRAINT rag_chunks_key UNIQUE (key)`);
    await q.query(`ALTER TABLE rag_postings ADD COLUMN chunk_key bigint`);
    await q.query(`UPDATE rag_postings p SET chunk_key = c.key FROM rag_chunks c WHERE c.id = p.chunk_id`);
    await q.query(`ALTER TABLE rag_postings ALTER COLUMN chunk_key SET NOT NULL`);
    // Dropping chunk_id drops the indexes and the foreign key that name it.
    await q.query(`ALTER TABLE rag_postings DROP COLUMN chunk_id`);
    await q.query(`ALTER TABLE rag_postings ADD CONSTRAINT rag_postings_pkey PRIMARY KEY (collection, kind, term, chunk_key) INCLUDE (tf, dl)`);
    await q.query(`CREATE INDEX rag_postings_impact ON rag_postings (collection, kind, term, impact DESC) INCLUDE (chunk_key, tf, dl)`);
    await q.query(`CREATE INDEX rag_postings_chunk ON rag_postings (chunk_key)`);
    await q.query(`ALTER TABLE rag_postings ADD CONSTRAINT rag_postings_chunk_key_fkey FOREIGN KEY (chunk_key) REFERENCES rag_chunks(key) ON DELETE CASCADE`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE rag_postings ADD COLUMN chunk_id text`);
    await q.query(`UPDATE rag_postings p SET chunk_id = c.id FROM rag_chunks c WHERE c.key = p.chunk_key`);
    await q.query(`ALTER TABLE rag_postings ALTER COLUMN chunk_id SET NOT NULL`);
    await q.query(`ALTER TABLE rag_postings DROP COLUMN chunk_key`);
    await q.query(`ALTER TABLE rag_postings ADD CONSTRAINT rag_postings_pkey PRIMARY KEY (collection, kind, term, chunk_id) INCLUDE (tf, dl)`);
    await q.query(`CREATE INDEX rag_postings_impact ON rag_postings (collection, kind, term, impact DESC) INCLUDE (chunk_id, tf, dl)`);
    await q.query(`CREATE INDEX rag_postings_chunk ON rag_postings (chunk_id)`);
    await q.query(`ALTER TABLE rag_postings ADD CONSTRAINT rag_postings_chunk_id_fkey FOREIGN KEY (chunk_id) REFERENCES rag_chunks(id) ON DELETE CASCADE`);
    await q.query(`ALTER TABLE rag_chunks DROP COLUMN key`);
  }
}
