import { OUTBOX_MIGRATIONS, OutboxEvent } from '@aether/messaging';
import { PostgresModule } from '@aether/service-kit';
import { ApiKeyEntity } from '../api-keys/api-key.entity';
import { AuditEventEntity } from '../audit/audit-event.entity';
import { CreateSecuritySchema1764000000000 } from '../migrations/1764000000000-create-security-schema';
import { LoginThrottlePerClient1764200000000 } from '../migrations/1764200000000-login-throttle-per-client';
import { LoginThrottleEntity } from '../sessions/login-throttle.entity';
import { RefreshTokenEntity } from '../sessions/refresh-token.entity';
import { UserEntity } from '../users/user.entity';

/** PostgreSQL of the security service (the kit's PostgresModule: pool, retries, locked migrations). */
export const DatabaseModule = PostgresModule.forRoot({
  entities: [UserEntity, RefreshTokenEntity, LoginThrottleEntity, ApiKeyEntity, AuditEventEntity, OutboxEvent],
  // Ordered by timestamp; the pending ones run at start-up, one replica at a time.
  migrations: [...OUTBOX_MIGRATIONS, CreateSecuritySchema1764000000000, LoginThrottlePerClient1764200000000],
});
