export * from './postgres-env';
export * from './postgres.module';
export * from './migration-lock';
export * from './database-errors';
export * from './pg-pool';
