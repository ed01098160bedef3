import { OUTBOX_MIGRATIONS, OutboxEvent } from '@aether/messaging';
import { PostgresModule } from '@aether/service-kit';
import { CreateTaskManagerSchema1764100000000 } from '../migrations/1764100000000-create-task-manager-schema';
import { ScheduleEntity } from '../schedules/schedule.entity';
import { TaskEntity } from '../tasks/task.entity';

/** PostgreSQL of task-manager (the kit's PostgresModule: pool, retries, locked migrations). */
export const DatabaseModule = PostgresModule.forRoot({
  entities: [TaskEntity, ScheduleEntity, OutboxEvent],
  // Ordered by timestamp; the pending ones run at start-up, one replica at a time.
  migrations: [...OUTBOX_MIGRATIONS, CreateTaskManagerSchema1764100000000],
});
