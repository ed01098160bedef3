import { ConfigurableModuleBuilder, DynamicModule, Logger, Module } from '@nestjs/common';
import type { TypeOrmModuleOptions } from '@nestjs/typeorm';
import type { DataSource, DataSourceOptions, MixedList, EntitySchema } from 'typeorm';
import { ENV_TOKEN, SERVICE_NAME } from '../tokens';
import { runMigrationsLocked } from './migration-lock';
import type { PostgresVariables } from './postgres-env';

export interface PostgresModuleOptions {
  /** Entity classes of the app (include the outbox's OutboxEvent when it uses one). */
  entities: MixedList<Function | string | EntitySchema>;
  /** Migration classes, ordered by timestamp; the pending ones run at start-up. */
  migrations: MixedList<Function | string>;
  /** TypeORM's wrapping of migrations: each in its own transaction (default) or all in one. */
  migrationsTransactionMode?: 'all' | 'none' | 'each';
}

const postgresOptions = new ConfigurableModuleBuilder<PostgresModuleOptions>({ moduleName: 'Postgres' }).setClassMethodName('forRoot').build();
const PostgresOptionsHolder = postgresOptions.ConfigurableModuleClass;
/** Injection token of the PostgresModuleOptions given to forRoot / forRootAsync. */
export const POSTGRES_MODULE_OPTIONS = postgresOptions.MODULE_OPTIONS_TOKEN;

/** Retries of the first connection at start-up (then the process exits and is restarted). */
export const POSTGRES_START_RETRY = { attempts: 5, delayMs: 1000 } as const;

/** TypeORM options every PostgreSQL service uses: one pool and retry policy, never synchronize. */
export function postgresDataSourceOptions(options: PostgresModuleOptions, env: PostgresVariables, appName: string): TypeOrmModuleOptions {
  return {
    type: 'postgres',
    // The driver given, not found by TypeORM: its computed require('pg') would load node-postgres
    // from node_modules (~30 modules) beside the service's bundle; this literal one is bundled.
    driver: require('pg'),
    url: env.DATABASE_URL,
    applicationName: appName,
    entities: options.entities,
    migrations: options.migrations,
    // Run by runMigrationsLocked (under the advisory lock), not by TypeORM on initialize.
    migrationsRun: false,
    migrationsTransactionMode: options.migrationsTransactionMode ?? 'each',
    synchronize: false,
    retryAttempts: POSTGRES_START_RETRY.attempts,
    retryDelay: POSTGRES_START_RETRY.delayMs,
    // node-postgres pool: bounded, and a short wait for a connection so an unreachable
    // database fails the call fast (mapped to UNAVAILABLE) instead of hanging to the deadline.
    extra: { max: env.DATABASE_POOL_SIZE, connectionTimeoutMillis: env.DATABASE_CONNECT_TIMEOUT_MS, keepAlive: true },
  };
}

/**
 * Initialises the data source, then applies pending migrations under the app's advisory lock
 * (the DataSource is provided only once the schema is current). The app name travels as the
 * connections' application_name, which also names the lock.
 */
export async function initialisePostgres(options: DataSourceOptions): Promise<DataSource> {
  const { DataSource } = require('typeorm') as typeof import('typeorm');
  const appName = (options as { applicationName?: string }).applicationName ?? 'app';
  const dataSource = await new DataSource(options).initialize();
  try {
    const applied = await runMigrationsLocked(dataSource, {
      appName,
      transaction: (options as { migrationsTransactionMode?: 'all' | 'none' | 'each' }).migrationsTransactionMode,
    });
    if (applied.length) new Logger('PostgresModule').log(`applied migrations: ${applied.join(', ')}`);
    return dataSource;
  } catch (err) {
    await dataSource.destroy().catch(() => undefined);
    throw err;
  }
}

/**
 * PostgreSQL through TypeORM for a service: the URL, pool size and connect timeout from the
 * app's validated env (PostgresEnv), migrations at start-up under an advisory lock derived from
 * the app name, never synchronize. Provides TypeORM's DataSource (`@InjectDataSource()`), so the
 * kit's TypeOrmReadiness works.
 *
 *   PostgresModule.forRoot({ entities: [TaskEntity, OutboxEvent], migrations: [...OUTBOX_MIGRATIONS, Init1764…] })
 */
@Module({})
export class PostgresModule {
  static forRoot(options: typeof postgresOptions.OPTIONS_TYPE): DynamicModule {
    return PostgresModule.withOptions(PostgresOptionsHolder.forRoot(options));
  }

  /** Options from providers (e.g. migrations chosen by config). */
  static forRootAsync(options: typeof postgresOptions.ASYNC_OPTIONS_TYPE): DynamicModule {
    return PostgresModule.withOptions(PostgresOptionsHolder.forRootAsync(options));
  }

  private static withOptions(optionsModule: DynamicModule): DynamicModule {
    // Loaded here, not at import: apps without PostgreSQL never load TypeORM through the kit.
    const { TypeOrmModule } = require('@nestjs/typeorm') as typeof import('@nestjs/typeorm');
    return {
      module: PostgresModule,
      imports: [
        TypeOrmModule.forRootAsync({
          // The options module exports its token so the factory below can inject it.
          imports: [{ ...optionsModule, exports: [...(optionsModule.exports ?? []), POSTGRES_MODULE_OPTIONS] }],
          inject: [POSTGRES_MODULE_OPTIONS, ENV_TOKEN, SERVICE_NAME],
          useFactory: (options: PostgresModuleOptions, env: PostgresVariables, appName: string) => postgresDataSourceOptions(options, env, appName),
          dataSourceFactory: (options) => initialisePostgres(options as DataSourceOptions),
        }),
      ],
      exports: [TypeOrmModule],
    };
  }
}
