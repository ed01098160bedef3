import { PostgresModule } from '@aether/service-kit';
import { CreateCodeAssistantSchema1796120140820 } from '../migrations/1796120140820-create-code-assistant-schema';

/** PostgreSQL of code-assistant (the kit's PostgresModule: pool, retries, migrations under a lock). */
export const DatabaseModule = PostgresModule.forRoot({
  // Entity classes; add OutboxEvent (and OUTBOX_MIGRATIONS) from @aether/messaging to publish events.
  entities: [],
  // Ordered by timestamp; the pending ones run at start-up, one replica at a time.
  migrations: [CreateCodeAssistantSchema1796120140820],
});
