import { createTempDatabase, createTempVhost, startTestService, type TempResource, type TestService } from '@aether/testing';
import type { InjectionToken } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Clock } from '../../src/config/clock';
import type { SecurityEnv } from '../../src/config/security.env';
import { securityService } from '../../src/service';

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

export interface SecurityTestApp {
  /** Providers of the running service (domain services, repositories, keys). */
  module: { get<T>(token: InjectionToken<T> | (abstract new (...args: never[]) => T)): T };
  service: TestService<SecurityEnv>;
  db: DataSource;
  clock: ManualClock;
  env: SecurityEnv;
  database: TempResource;
  /** Outbox rows of `type`, oldest first. */
  outbox(type?: string): Promise<{ type: string; subject: string | null; payload: Record<string, any> }[]>;
  close(): Promise<void>;
}

/**
 * The security service as it runs in production (its service definition: kit, database with
 * migrations, outbox relay to a throw-away RabbitMQ vhost, auth), on a fresh database unless
 * `database` is shared, with a ManualClock and env values from the test. No gRPC server: tests
 * call the domain services; test/grpc.spec.ts drives the gRPC API.
 */
export async function createSecurityTestApp(
  overrides: Partial<Record<keyof SecurityEnv, string | number | boolean>> = {},
  database?: TempResource,
): Promise<SecurityTestApp> {
  const [db, vhost] = await Promise.all([database ?? createTempDatabase('security'), createTempVhost('security')]);
  const clock = new ManualClock();
  const dropStores = async () => {
    await vhost.drop();
    if (!database) await db.drop();
  };
  let service: TestService<SecurityEnv>;
  try {
    service = await startTestService(securityService, {
      grpc: false,
      http: false,
      env: {
        DATABASE_URL: db.url,
        RABBITMQ_URL: vhost.url,
        ...Object.fromEntries(Object.entries(overrides).map(([k, v]) => [k, v === undefined ? undefined : String(v)])),
      },
      overrides: [{ provide: Clock, useValue: clock }],
    });
  } catch (e) {
    await dropStores();
    throw e;
  }
  const dataSource = service.get(DataSource);
  return {
    module: { get: service.get },
    service,
    db: dataSource,
    clock,
    env: service.env,
    database: db,
    outbox: (type?: string) =>
      dataSource.query(
        `SELECT type, subject, payload FROM outbox_events ${type ? 'WHERE type = $1' : ''} ORDER BY seq`,
        type ? [type] : [],
      ),
    async close() {
      await service.close();
      await dropStores();
    },
  };
}
