import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';

/**
 * The node-postgres pool under TypeORM's DataSource, for a hot single-statement read: pool.query
 * checks a connection out, runs the statement and returns it, as DataSource.query does, without
 * the QueryRunner TypeORM builds around each query (issue 16). Errors are node-postgres' own,
 * which the kit's error mapping reads as TypeORM's. (task-manager has the same helper; it belongs
 * in the kit's PostgresModule.)
 */
export function pgPool(db: DataSource): Pool {
  const pool = (db.driver as unknown as { master?: Pool }).master;
  if (!pool || typeof pool.query !== 'function') throw new Error('pgPool: the DataSource has no node-postgres pool (not initialised, or not PostgreSQL)');
  return pool;
}
