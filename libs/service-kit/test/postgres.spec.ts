import { Test } from '@nestjs/testing';
import { createTempDatabase, waitFor, type TempResource } from '@aether/testing';
import { DataSource, type MigrationInterface, type QueryRunner } from 'typeorm';
import {
  BaseEnv,
  databaseUnavailableError,
  initialisePostgres,
  loadEnv,
  migrationLockKey,
  PostgresEnv,
  PostgresModule,
  postgresDataSourceOptions,
  ServiceKitModule,
  TypeOrmReadiness,
} from '../src';

/** Slow on purpose, and not idempotent: two concurrent runs without a lock collide. */
class CreateWidgets1700000000001 implements MigrationInterface {
  name = 'CreateWidgets1700000000001';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "widgets" ("id" serial PRIMARY KEY)`);
    await q.query(`SELECT pg_sleep(0.4)`);
    await q.query(`INSERT INTO "widgets" DEFAULT VALUES`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "widgets"`);
  }
}

class AddWidgetName1700000000002 implements MigrationInterface {
  name = 'AddWidgetName1700000000002';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "widgets" ADD COLUMN "name" text`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "widgets" DROP COLUMN "name"`);
  }
}

const MIGRATIONS = [CreateWidgets1700000000001, AddWidgetName1700000000002];

class TestEnv extends PostgresEnv(BaseEnv) {}

const envFor = (db: TempResource, extra: Record<string, string> = {}) =>
  loadEnv(TestEnv, { NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: db.url, ...extra });

const dataSourceOptions = (db: TempResource, appName: string) =>
  postgresDataSourceOptions({ entities: [], migrations: MIGRATIONS }, envFor(db), appName) as ConstructorParameters<typeof DataSource>[0];

describe('PostgreSQL migrations under the advisory lock', () => {
  let db: TempResource;
  const opened: DataSource[] = [];

  beforeEach(async () => {
    db = await createTempDatabase('kit_pg_lock');
  });

  afterEach(async () => {
    await Promise.allSettled(opened.splice(0).map((ds) => (ds.isInitialized ? ds.destroy() : undefined)));
    await db.drop();
  });

  it('two replicas migrating one empty database together both start, and each migration runs once', async () => {
    const [a, b] = await Promise.all([initialisePostgres(dataSourceOptions(db, 'widgets')), initialisePostgres(dataSourceOptions(db, 'widgets'))]);
    opened.push(a, b);
    expect(await a.query(`SELECT name FROM migrations ORDER BY id`)).toEqual([
      { name: 'CreateWidgets1700000000001' },
      { name: 'AddWidgetName1700000000002' },
    ]);
    expect(await b.query(`SELECT count(*)::int AS n FROM widgets`)).toEqual([{ n: 1 }]);
    // Never synchronize: only what the migrations made exists.
    expect(a.options.synchronize).toBe(false);
    // The lock was released (its session ended): another replica gets it at once.
    const lock = await a.query(`SELECT pg_try_advisory_lock($1::bigint) AS ok`, [migrationLockKey('widgets')]);
    expect(lock).toEqual([{ ok: true }]);
    await a.query(`SELECT pg_advisory_unlock($1::bigint)`, [migrationLockKey('widgets')]);
  });

  it('control: without the lock the same start-up race fails (what the lock prevents)', async () => {
    const unlocked = async () => {
      const ds = await new DataSource(dataSourceOptions(db, 'widgets')).initialize();
      opened.push(ds);
      await ds.runMigrations({ transaction: 'each' });
    };
    const results = await Promise.allSettled([unlocked(), unlocked()]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  });

  it('a later start finds nothing pending, and a failing migration fails the start and releases the lock', async () => {
    opened.push(await initialisePostgres(dataSourceOptions(db, 'widgets')));
    const again = await initialisePostgres(dataSourceOptions(db, 'widgets'));
    opened.push(again);
    expect(await again.query(`SELECT count(*)::int AS n FROM migrations`)).toEqual([{ n: 2 }]);

    class Broken1700000000003 implements MigrationInterface {
      name = 'Broken1700000000003';
      async up(q: QueryRunner): Promise<void> {
        await q.query(`ALTER TABLE "no_such_table" ADD COLUMN "x" int`);
      }
      async down(): Promise<void> {}
    }
    const broken = { ...dataSourceOptions(db, 'widgets'), migrations: [...MIGRATIONS, Broken1700000000003] } as ConstructorParameters<typeof DataSource>[0];
    await expect(initialisePostgres(broken)).rejects.toThrow(/no_such_table/);
    const lock = await again.query(`SELECT pg_try_advisory_lock($1::bigint) AS ok`, [migrationLockKey('widgets')]);
    expect(lock).toEqual([{ ok: true }]);
  });
});

describe('PostgresModule', () => {
  let db: TempResource;

  beforeAll(async () => {
    db = await createTempDatabase('kit_pg_module');
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('builds TypeORM from the validated env and the app name: migrated, pooled, named, ready', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ServiceKitModule.forRoot({ name: 'widget-service', env: TestEnv, envValues: envFor(db, { DATABASE_POOL_SIZE: '3' }), readiness: [TypeOrmReadiness] }),
        PostgresModule.forRoot({ entities: [], migrations: MIGRATIONS }),
      ],
    }).compile();
    const app = await moduleRef.init();
    try {
      const ds = app.get(DataSource);
      expect(ds.isInitialized).toBe(true);
      expect(await ds.query(`SELECT count(*)::int AS n FROM migrations`)).toEqual([{ n: 2 }]);
      expect(await ds.query(`SELECT current_setting('application_name') AS name`)).toEqual([{ name: 'widget-service' }]);
      const pool = (ds.driver as unknown as { master: { options: { max: number; connectionTimeoutMillis: number } } }).master;
      expect(pool.options).toMatchObject({ max: 3, connectionTimeoutMillis: 500 });
      await expect(app.get(TypeOrmReadiness).check()).resolves.toBeUndefined();
    } finally {
      await app.close();
    }
  });

  it('a connection lost between two statements of a transaction is UNAVAILABLE, not INTERNAL', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ServiceKitModule.forRoot({ name: 'widget-service', env: TestEnv, envValues: envFor(db) }), PostgresModule.forRoot({ entities: [], migrations: [] })],
    }).compile();
    const app = await moduleRef.init();
    try {
      const ds = app.get(DataSource);
      const failure = await ds
        .transaction(async (m) => {
          const [{ pid }] = await m.query(`SELECT pg_backend_pid() AS pid`);
          // Another session ends this transaction's backend (what a server shutdown does), and
          // the client sees it while idle between statements: TypeORM releases the runner.
          await ds.query(`SELECT pg_terminate_backend($1)`, [pid]);
          await waitFor(() => m.queryRunner!.isReleased || undefined, { timeoutMs: 5_000, intervalMs: 10, what: 'TypeORM to release the runner of the lost connection' });
          await m.query(`SELECT 1`);
        })
        .then(() => undefined, (e: unknown) => e);
      expect(failure).toBeDefined();
      expect(databaseUnavailableError(failure)?.code).toBe('UPSTREAM_UNAVAILABLE');
      // The pool recovers by itself.
      expect(await ds.query(`SELECT 1 AS one`)).toEqual([{ one: 1 }]);
    } finally {
      await app.close();
    }
  });
});
