import type { DataSource } from 'typeorm';

/** Any fixed number: the key of the advisory lock that serialises migrations of this database. */
const MIGRATION_LOCK_KEY = 0x7a5c_0001;

/**
 * Runs pending migrations under a PostgreSQL advisory lock, so replicas starting together do not
 * race to create the same tables (TypeORM's migrationsRun has no lock). The lock is session
 * scoped and held on one dedicated connection for the duration.
 */
export async function runMigrationsLocked(ds: DataSource): Promise<void> {
  const qr = ds.createQueryRunner();
  await qr.connect();
  try {
    await qr.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await ds.runMigrations({ transaction: 'all' });
    } finally {
      await qr.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await qr.release();
  }
}
