import { OUTBOX_MIGRATIONS, OutboxEvent } from '@aether/messaging';
import { PostgresModule } from '@aether/service-kit';
import { CreateCodeAssistantSchema1796120140820 } from '../migrations/1796120140820-create-code-assistant-schema';
import { CreatePullRequestReviews1796123000000 } from '../migrations/1796123000000-create-pull-request-reviews';

/** PostgreSQL of code-assistant (the kit's PostgresModule: pool, retries, migrations under a lock). */
export const DatabaseModule = PostgresModule.forRoot({
  // The outbox of code-assistant's events.
  entities: [OutboxEvent],
  // Ordered by timestamp; the pending ones run at start-up, one replica at a time.
  migrations: [...OUTBOX_MIGRATIONS, CreateCodeAssistantSchema1796120140820, CreatePullRequestReviews1796123000000],
});
