// The migration to integer chunk keys on a database that already holds postings (real PostgreSQL).
import { DataSource } from 'typeorm';
import { createTempDatabase, type TempResource } from '@aether/testing';
import { RAG_MIGRATIONS } from '../src/database/database.module';
import { PostingsChunkKey1796400000000 } from '../src/migrations/1796400000000-postings-chunk-key';

jest.setTimeout(60_000);

describe('migration PostingsChunkKey1796400000000', () => {
  let db: TempResource;
  // The migrations up to the one tested (later ones run on its result, not on the data it meets).
  const at = RAG_MIGRATIONS.indexOf(PostingsChunkKey1796400000000);
  const open = (migrations: typeof RAG_MIGRATIONS) => new DataSource({ type: 'postgres', url: db.url, migrations, migrationsTableName: 'migrations' }).initialize();

  beforeAll(async () => {
    db = await createTempDatabase('rag_migration');
  });
  afterAll(() => db?.drop());

  it('moves every posting to its chunk key, keeps the cascade, and goes back', async () => {
    const before = await open(RAG_MIGRATIONS.slice(0, at));
    await before.runMigrations();
    await before.query(`INSERT INTO rag_collections (name, embedding_model, vector_space) VALUES ('c', 'local/use-512', 'space-c')`);
    await before.query(`INSERT INTO rag_documents (id, collection, title, mime_type, content_hash, size_bytes, version, chunk_count) VALUES ('00000000-0000-4000-8000-000000000001', 'c', 'd', 'text/plain', 'h', 1, 1, 2)`);
    for (const id of ['doc:1:0', 'doc:1:1']) {
      await before.query(
        `INSERT INTO rag_chunks (id, document_id, collection, version, ordinal, text, start_offset, end_offset, content_hash, dedup_key, word_count, exact_count) VALUES ($1, '00000000-0000-4000-8000-000000000001', 'c', 1, 0, 't', 0, 1, $1, $1, 2, 0)`,
        [id],
      );
    }
    await before.query(
      `INSERT INTO rag_postings (collection, kind, term, chunk_id, tf, dl, impact) VALUES ('c', 'w', 'alpha', 'doc:1:0', 1, 2, 1), ('c', 'w', 'beta', 'doc:1:0', 1, 2, 1), ('c', 'w', 'alpha', 'doc:1:1', 2, 2, 1.5)`,
    );
    await before.destroy();

    const after = await open(RAG_MIGRATIONS.slice(0, at + 1));
    try {
      expect(await after.runMigrations()).toHaveLength(1);
      const rows = await after.query(`SELECT c.id, p.term, p.tf FROM rag_postings p JOIN rag_chunks c ON c.key = p.chunk_key ORDER BY c.id, p.term`);
      expect(rows).toEqual([
        { id: 'doc:1:0', term: 'alpha', tf: 1 },
        { id: 'doc:1:0', term: 'beta', tf: 1 },
        { id: 'doc:1:1', term: 'alpha', tf: 2 },
      ]);
      // A chunk deleted takes its postings with it.
      await after.query(`DELETE FROM rag_chunks WHERE id = 'doc:1:0'`);
      expect(await after.query(`SELECT term FROM rag_postings`)).toEqual([{ term: 'alpha' }]);

      await after.undoLastMigration();
      expect(await after.query(`SELECT chunk_id, term, tf FROM rag_postings`)).toEqual([{ chunk_id: 'doc:1:1', term: 'alpha', tf: 2 }]);
      const columns = await after.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'rag_chunks' AND column_name = 'key'`);
      expect(columns).toEqual([]);
    } finally {
      await after.destroy();
    }
  });
});
