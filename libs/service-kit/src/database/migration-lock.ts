import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';

/**
 * The advisory-lock key that serialises the migrations of one app: derived from its name, so
 * replicas of an app share it and two apps sharing a database never block each other.
 * A signed 64-bit integer (pg_advisory_lock's bigint), as a decimal string.
 */
export function migrationLockKey(appName: string): string {
  return createHash('sha256').update(`aether:migrations:${appName}`).digest().readBigInt64BE(0).toString();
}

export interface MigrationLockOptions {
  /** App name; the lock key is derived from it. */
  appName: string;
  /** How pending migrations are wrapped in transactions (TypeORM's modes). */
  transaction?: 'all' | 'none' | 'each';
  /** Connect timeout of the lock's own connection. */
  connectTimeoutMs?: number;
}

/**
 * Runs the pending migrations of `dataSource` (a PostgreSQL one, made from a `url`) while holding
 * a session-level advisory lock on a connection of its own: replicas starting together migrate
 * one after another (TypeORM takes no lock itself) and the later ones find nothing pending.
 * The lock lives and dies with that session, so it can never stay behind in the pool.
 * Returns the names of the migrations this call applied.
 */
export async function runMigrationsLocked(dataSource: DataSource, options: MigrationLockOptions): Promise<string[]> {
  const { Client } = require('pg') as typeof import('pg');
  const key = migrationLockKey(options.appName);
  const url = (dataSource.options as { url?: string }).url;
  const lock = new Client({
    connectionString: url,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    application_name: `${options.appName}:migrations`,
  });
  // A connection lost while waiting surfaces on the pending query; without a listener the
  // client's 'error' event would crash the process instead.
  lock.on('error', () => undefined);
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1::bigint)', [key]);
    const applied = await dataSource.runMigrations({ transaction: options.transaction ?? 'each' });
    return applied.map((m) => m.name);
  } finally {
    // Ending the session releases the lock even if it was lost with the connection.
    await lock.end().catch(() => undefined);
  }
}
