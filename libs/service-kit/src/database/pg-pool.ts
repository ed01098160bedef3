import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';

/**
 * The node-postgres pool under a PostgresModule DataSource, for a hot single-statement read:
 * pool.query checks a connection out, runs the statement and returns it, as DataSource.query
 * does, without the QueryRunner TypeORM builds around each query (runner object,
 * connect/release promises, subscriber broadcast, query timing): ~3 KB and ~10 µs of CPU per
 * GET /tasks/{id} (issue 16). Errors are node-postgres' own, which the kit's error mapping reads
 * as TypeORM's (a lost database is UNAVAILABLE either way).
 */
export function pgPool(db: DataSource): Pool {
  const pool = (db.driver as unknown as { master?: Pool }).master;
  if (!pool || typeof pool.query !== 'function') throw new Error('pgPool: the DataSource has no node-postgres pool (not initialised, or not PostgreSQL)');
  return pool;
}
