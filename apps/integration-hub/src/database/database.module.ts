import { PostgresModule } from '@aether/service-kit';
import { CreateIntegrationHubSchema1796113053874 } from '../migrations/1796113053874-create-integration-hub-schema';

/** PostgreSQL of integration-hub (the kit's PostgresModule: pool, retries, migrations under a lock). */
export const DatabaseModule = PostgresModule.forRoot({
  // Entity classes; add OutboxEvent (and OUTBOX_MIGRATIONS) from @aether/messaging to publish events.
  entities: [],
  // Ordered by timestamp; the pending ones run at start-up, one replica at a time.
  migrations: [CreateIntegrationHubSchema1796113053874],
});
