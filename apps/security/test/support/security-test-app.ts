import { OutboxService } from '@aether/messaging';
import { createTempDatabase, type TempResource } from '@aether/testing';
import { Global, Module, type DynamicModule } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ApiKeysModule } from '../../src/api-keys/api-keys.module';
import { AuditModule } from '../../src/audit/audit.module';
import { Clock } from '../../src/config/clock';
import { SecurityEnv } from '../../src/config/security.env';
import { DatabaseModule } from '../../src/database/database.module';
import { OutboxSecurityEventPublisher } from '../../src/events/outbox-security-event.publisher';
import { SecurityEventPublisher } from '../../src/events/security-event.publisher';
import { KeysModule } from '../../src/keys/keys.module';
import { securityAuthModule } from '../../src/keys/security-auth.module';
import { SessionsModule } from '../../src/sessions/sessions.module';
import { UsersModule } from '../../src/users/users.module';

/** A clock the test moves by hand (lockout windows, expiry) instead of sleeping. */
export class ManualClock extends Clock {
  private t = Date.now();
  now(): Date {
    return new Date(this.t);
  }
  advance(seconds: number): void {
    this.t += seconds * 1000;
  }
}

export function testEnv(databaseUrl: string, overrides: Partial<SecurityEnv> = {}): SecurityEnv {
  return Object.assign(new SecurityEnv(), {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: databaseUrl,
    RABBITMQ_URL: 'amqp://unused',
    ...overrides,
  });
}

/**
 * Domain services over a real, freshly migrated PostgreSQL database. Events go through the real
 * OutboxService into `outbox_events` (no relay, no broker), so tests can read what was written.
 */
@Global()
@Module({})
class TestCoreModule {
  static forRoot(env: SecurityEnv, clock: Clock): DynamicModule {
    return {
      module: TestCoreModule,
      providers: [
        { provide: SecurityEnv, useValue: env },
        { provide: Clock, useValue: clock },
        { provide: OutboxService, useValue: new OutboxService({ url: 'amqp://unused', source: 'security' }) },
        { provide: SecurityEventPublisher, useClass: OutboxSecurityEventPublisher },
      ],
      exports: [SecurityEnv, Clock, SecurityEventPublisher],
    };
  }
}

export interface SecurityTestApp {
  module: TestingModule;
  db: DataSource;
  clock: ManualClock;
  env: SecurityEnv;
  database: TempResource;
  /** Outbox rows of `type`, oldest first. */
  outbox(type?: string): Promise<{ type: string; subject: string | null; payload: Record<string, any> }[]>;
  close(): Promise<void>;
}

export async function createSecurityTestApp(
  overrides: Partial<SecurityEnv> = {},
  database?: TempResource,
): Promise<SecurityTestApp> {
  const db = database ?? (await createTempDatabase('security'));
  const env = testEnv(db.url, overrides);
  const clock = new ManualClock();
  let module: TestingModule | undefined;
  try {
    module = await Test.createTestingModule({
      imports: [
        TestCoreModule.forRoot(env, clock),
        DatabaseModule,
        KeysModule,
        securityAuthModule(),
        AuditModule,
        UsersModule,
        SessionsModule,
        ApiKeysModule,
      ],
    }).compile();
    await module.init();
  } catch (e) {
    await module?.close();
    if (!database) await db.drop();
    throw e;
  }
  const dataSource = module.get<DataSource>(getDataSourceToken());
  return {
    module,
    db: dataSource,
    clock,
    env,
    database: db,
    outbox: (type?: string) =>
      dataSource.query(
        `SELECT type, subject, payload FROM outbox_events ${type ? 'WHERE type = $1' : ''} ORDER BY seq`,
        type ? [type] : [],
      ),
    async close() {
      await module!.close();
      if (!database) await db.drop();
    },
  };
}
