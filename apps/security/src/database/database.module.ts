import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { DataSourceOptions } from 'typeorm';
import { SecurityEnv } from '../config/security.env';
import { initializeWithMigrationLock } from './migration-lock';
import { securityTypeOrmOptions } from './typeorm-options';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [SecurityEnv],
      useFactory: (env: SecurityEnv) => securityTypeOrmOptions(env.DATABASE_URL),
      dataSourceFactory: (options) => initializeWithMigrationLock(options as DataSourceOptions),
    }),
  ],
})
export class DatabaseModule {}
