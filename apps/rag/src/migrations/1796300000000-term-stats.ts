import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Document frequency per (collection, kind, term), kept by statement triggers on rag_postings so
 * it changes in the same transaction as the postings (ingest's atomic replacement, deletes and the
 * cascades of a deleted collection included). The keyword ranker reads one row per query term
 * instead of counting every posting of it on each search.
 * Writers of one collection take one advisory lock before touching its rows: two ingests sharing
 * terms queue instead of deadlocking on rows locked in different orders.
 */
export class TermStats1796300000000 implements MigrationInterface {
  name = 'TermStats1796300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE rag_term_stats (
        collection text NOT NULL REFERENCES rag_collections(name) ON DELETE CASCADE,
        kind       "char" NOT NULL,
        term       text NOT NULL,
        df         integer NOT NULL,
        PRIMARY KEY (collection, kind, term)
      )`);
    await q.query(`
      INSERT INTO rag_term_stats (collection, kind, term, df)
      SELECT collection, kind, term, count(*) FROM rag_postings GROUP BY collection, kind, term`);
    await q.query(`
      CREATE FUNCTION rag_term_stats_added() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtext('rag-term-stats'), hashtext(c)) FROM (SELECT DISTINCT collection AS c FROM added ORDER BY 1) s;
        INSERT INTO rag_term_stats (collection, kind, term, df)
        SELECT collection, kind, term, count(*) FROM added GROUP BY collection, kind, term ORDER BY collection, kind, term
        ON CONFLICT (collection, kind, term) DO UPDATE SET df = rag_term_stats.df + excluded.df;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE FUNCTION rag_term_stats_removed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtext('rag-term-stats'), hashtext(c)) FROM (SELECT DISTINCT collection AS c FROM removed ORDER BY 1) s;
        UPDATE rag_term_stats s SET df = s.df - gone.n
        FROM (SELECT collection, kind, term, count(*)::int AS n FROM removed GROUP BY collection, kind, term) gone
        WHERE s.collection = gone.collection AND s.kind = gone.kind AND s.term = gone.term;
        -- A term no posting uses any more leaves no row behind.
        DELETE FROM rag_term_stats s USING (SELECT DISTINCT collection, kind, term FROM removed) gone
        WHERE s.df <= 0 AND s.collection = gone.collection AND s.kind = gone.kind AND s.term = gone.term;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER rag_postings_added AFTER INSERT ON rag_postings REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION rag_term_stats_added()`);
    await q.query(`CREATE TRIGGER rag_postings_removed AFTER DELETE ON rag_postings REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION rag_term_stats_removed()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER rag_postings_removed ON rag_postings`);
    await q.query(`DROP TRIGGER rag_postings_added ON rag_postings`);
    await q.query(`DROP FUNCTION rag_term_stats_removed(), rag_term_stats_added()`);
    await q.query(`DROP TABLE rag_term_stats`);
  }
}
