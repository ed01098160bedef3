import type { INestApplication } from '@nestjs/common';
import { credentials, loadPackageDefinition, type Client, type Metadata, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import type { Role } from '@aether/auth';
import { PROTO_LOADER_OPTIONS, protoFile, protoRoot } from '@aether/contracts';
import { createTempDatabase, createTempVhost, startTestService, TestIdentities, type TempResource } from '@aether/testing';
import { DataSource } from 'typeorm';
import { taskManagerService } from '../../src/service';
import { TaskManagerUser } from './task-manager-user';

/** Shared stores of one test file: a temp database, a temp vhost and the JWKS stand-in. */
export class TestStores {
  db!: TempResource;
  vhost!: TempResource;
  identities!: TestIdentities;

  async start(): Promise<this> {
    [this.db, this.vhost, this.identities] = await Promise.all([
      createTempDatabase('task_manager'),
      createTempVhost('task_manager'),
      new TestIdentities().start(),
    ]);
    return this;
  }

  async stop(): Promise<void> {
    await Promise.allSettled([this.db?.drop(), this.vhost?.drop(), this.identities?.stop()]);
  }

  /** A new user holding `role`, with its task-manager Actor. */
  async user(role: Role = 'developer', userId?: string): Promise<TaskManagerUser> {
    return new TaskManagerUser((await this.identities.user(role, userId)).principal);
  }
}

export interface StartedApp {
  app: INestApplication;
  db: DataSource;
  grpcPort?: number;
  get<T>(type: new (...args: never[]) => T): T;
  close(): Promise<void>;
}

/**
 * One task-manager instance on the shared stores: its production service definition (kit, auth
 * guard, TaskManagerModule) with env values from the test. `grpc: true` also serves the gRPC API
 * on a free port. The scheduler loops are off unless the test turns them on.
 */
export async function startTaskManager(stores: TestStores, env: Record<string, string> = {}, opts: { grpc?: boolean } = {}): Promise<StartedApp> {
  const service = await startTestService(taskManagerService, {
    grpc: opts.grpc ?? false,
    http: false,
    env: {
      DATABASE_URL: stores.db.url,
      RABBITMQ_URL: stores.vhost.url,
      AUTH_JWKS_URL: stores.identities.jwksUrl,
      SCHEDULER_ENABLED: 'false',
      ...env,
    },
  });
  return { app: service.app, db: service.get(DataSource), grpcPort: service.grpcPort, get: service.get, close: service.close };
}

type Unary = (req: unknown, md: Metadata, cb: (err: ServiceError | null, res: unknown) => void) => void;

/** A plain grpc-js client of TaskManagerService (what the gateway's kit client does, minus Nest). */
export function taskManagerClient(port: number) {
  const def = loadSync(protoFile('task-manager'), { ...PROTO_LOADER_OPTIONS, includeDirs: [protoRoot()] });
  const pkg = loadPackageDefinition(def) as unknown as {
    aether: { task_manager: { v1: { TaskManagerService: new (addr: string, creds: ReturnType<typeof credentials.createInsecure>) => Client } } };
  };
  const client = new pkg.aether.task_manager.v1.TaskManagerService(`127.0.0.1:${port}`, credentials.createInsecure());
  const call = <T = Record<string, unknown>>(method: string, req: unknown, md: Metadata): Promise<T> =>
    new Promise((resolve, reject) =>
      ((client as unknown as Record<string, Unary>)[method]).call(client, req, md, (err, res) => (err ? reject(err) : resolve(res as T))),
    );
  return { call, close: () => client.close() };
}
