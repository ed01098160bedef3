import { OUTBOX_MIGRATIONS, OutboxEvent } from '@aether/messaging';
import type { TypeOrmModuleOptions } from '@nestjs/typeorm';
import { ApiKeyEntity } from '../api-keys/api-key.entity';
import { AuditEventEntity } from '../audit/audit-event.entity';
import { CreateSecuritySchema1764000000000 } from '../migrations/1764000000000-create-security-schema';
import { LoginThrottleEntity } from '../sessions/login-throttle.entity';
import { RefreshTokenEntity } from '../sessions/refresh-token.entity';
import { UserEntity } from '../users/user.entity';

export const SECURITY_ENTITIES = [UserEntity, RefreshTokenEntity, LoginThrottleEntity, ApiKeyEntity, AuditEventEntity, OutboxEvent];

/** Ordered by timestamp; TypeORM runs the pending ones at start-up (one replica at a time, under a lock). */
export const SECURITY_MIGRATIONS = [...OUTBOX_MIGRATIONS, CreateSecuritySchema1764000000000];

/** PostgreSQL data source of the security service: explicit migrations, never synchronize. */
export function securityTypeOrmOptions(url: string): TypeOrmModuleOptions {
  return {
    type: 'postgres',
    url,
    entities: SECURITY_ENTITIES,
    migrations: SECURITY_MIGRATIONS,
    migrationsRun: true,
    migrationsTransactionMode: 'each',
    synchronize: false,
    // Fail fast at start-up instead of Nest's default of 9 retries.
    retryAttempts: 3,
    retryDelay: 1000,
    extra: { max: 10, connectionTimeoutMillis: 5000 },
  };
}
