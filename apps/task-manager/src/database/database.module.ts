import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OUTBOX_MIGRATIONS, OutboxEvent } from '@aether/messaging';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { TaskManagerEnv } from '../config/task-manager.env';
import { CreateTaskManagerSchema1764100000000 } from '../migrations/1764100000000-create-task-manager-schema';
import { ScheduleEntity } from '../schedules/schedule.entity';
import { TaskEntity } from '../tasks/task.entity';
import { runMigrationsLocked } from './run-migrations';

export const ENTITIES = [TaskEntity, ScheduleEntity, OutboxEvent];
export const MIGRATIONS = [...OUTBOX_MIGRATIONS, CreateTaskManagerSchema1764100000000];

/** PostgreSQL via TypeORM. Migrations run at start (never synchronize). */
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [TaskManagerEnv],
      useFactory: (env: TaskManagerEnv) => ({
        type: 'postgres' as const,
        url: env.DATABASE_URL,
        entities: ENTITIES,
        migrations: MIGRATIONS,
        migrationsRun: false,
        synchronize: false,
        // Scheduler, reminder loop, outbox relay + LISTEN and request traffic share the pool.
        extra: { max: 20, connectionTimeoutMillis: 5000 },
        retryAttempts: 10,
        retryDelay: 1000,
      }),
      dataSourceFactory: async (options?: DataSourceOptions) => {
        const ds = await new DataSource(options as DataSourceOptions).initialize();
        await runMigrationsLocked(ds);
        return ds;
      },
    }),
  ],
})
export class DatabaseModule {}
