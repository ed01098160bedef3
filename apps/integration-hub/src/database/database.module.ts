import { OUTBOX_MIGRATIONS, OutboxEvent } from '@aether/messaging';
import { PostgresModule } from '@aether/service-kit';
import { CreateIntegrationHubSchema1796113053874 } from '../migrations/1796113053874-create-integration-hub-schema';

/** PostgreSQL of integration-hub (the kit's PostgresModule: pool, retries, migrations under a lock); domain tables are queried in SQL. */
export const DatabaseModule = PostgresModule.forRoot({
  entities: [OutboxEvent],
  // Ordered by timestamp; the pending ones run at start-up, one replica at a time.
  migrations: [...OUTBOX_MIGRATIONS, CreateIntegrationHubSchema1796113053874],
});
