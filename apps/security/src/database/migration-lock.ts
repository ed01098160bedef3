import { Client } from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';

// Any constant shared by every replica of this service (PostgreSQL advisory locks are per database).
const MIGRATION_LOCK_KEY = 0x5ec0_0001;

/**
 * Initialises the data source (which runs pending migrations, `migrationsRun: true`) while holding
 * a PostgreSQL advisory lock, so replicas starting together migrate one after another instead of
 * racing on CREATE TABLE (TypeORM itself takes no lock).
 */
export async function initializeWithMigrationLock(options: DataSourceOptions & { url?: string }): Promise<DataSource> {
  const lock = new Client({ connectionString: options.url, connectionTimeoutMillis: 5000 });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    return await new DataSource(options).initialize();
  } finally {
    // Ending the session releases the lock even if the unlock fails.
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.end().catch(() => undefined);
  }
}
