import { status, type ServiceError } from '@grpc/grpc-js';
import { readGrpcError } from '@aether/service-kit';
import { createTempVhost, startPrivatePostgres, startTestService, TestIdentities, waitFor, type PrivateServer, type TempResource, type TestService, type TestUser } from '@aether/testing';
import { taskManagerService } from '../src/service';
import { taskManagerClient } from './support/task-manager-app';

/**
 * PostgreSQL stops under a running task-manager (a private cluster: the shared server is never
 * touched): every database-backed RPC fails fast with UNAVAILABLE (the gateway's 503
 * UPSTREAM_UNAVAILABLE), /readyz is 503, and the service recovers by itself once it is back.
 */
let pg: PrivateServer;
let vhost: TempResource;
let identities: TestIdentities;
let service: TestService;
let client: ReturnType<typeof taskManagerClient>;
let dev: TestUser;

beforeAll(async () => {
  [pg, vhost, identities] = await Promise.all([startPrivatePostgres(), createTempVhost('tm_pg_outage'), new TestIdentities().start()]);
  service = await startTestService(taskManagerService, {
    grpc: true,
    env: { DATABASE_URL: pg.url, RABBITMQ_URL: vhost.url, AUTH_JWKS_URL: identities.jwksUrl, SCHEDULER_INTERVAL_MS: '200' },
  });
  client = taskManagerClient(service.grpcPort!);
  dev = await identities.user('developer');
}, 60_000);

afterAll(async () => {
  client?.close();
  await service?.close();
  await Promise.allSettled([pg?.dispose(), vhost?.drop(), identities?.stop()]);
});

const readyz = async () => (await fetch(`http://127.0.0.1:${service.httpPort}/readyz`)).status;

async function failure(p: Promise<unknown>): Promise<{ code: number; errorCode: string; ms: number }> {
  const started = Date.now();
  const err = (await p.then(() => undefined, (e) => e)) as ServiceError | undefined;
  const ms = Date.now() - started;
  if (!err) throw new Error('expected the call to fail');
  return { code: err.code, errorCode: readGrpcError(err).code, ms };
}

it('answers UNAVAILABLE within 1 s while PostgreSQL is down, /readyz 503, and recovers without a restart', async () => {
  const task = await client.call<{ id: string }>('CreateTask', { title: 'before the outage' }, dev.metadata());
  expect(await readyz()).toBe(200);

  await pg.stop();

  const calls = [
    client.call('ListTasks', {}, dev.metadata()),
    client.call('GetTask', { id: task.id }, dev.metadata()),
    client.call('CreateTask', { title: 'during the outage' }, dev.metadata()),
    client.call('UpdateTask', { id: task.id, title: 'changed' }, dev.metadata()),
    client.call('ListSchedules', {}, dev.metadata()),
  ];
  for (const outcome of await Promise.all(calls.map(failure))) {
    expect(outcome).toMatchObject({ code: status.UNAVAILABLE, errorCode: 'UPSTREAM_UNAVAILABLE' });
    expect(outcome.ms).toBeLessThan(1000);
  }
  // Still fast on the next calls (the pool keeps failing fast, nothing hangs).
  expect(await failure(client.call('ListTasks', {}, dev.metadata()))).toMatchObject({ code: status.UNAVAILABLE });
  expect(await readyz()).toBe(503);

  await pg.start();

  await waitFor(async () => (await readyz()) === 200, { timeoutMs: 15_000, what: 'task-manager /readyz 200 after PostgreSQL is back' });
  const back = await client.call<{ id: string; title: string }>('GetTask', { id: task.id }, dev.metadata());
  expect(back).toMatchObject({ id: task.id, title: 'before the outage' });
  await expect(client.call('CreateTask', { title: 'after the outage' }, dev.metadata())).resolves.toMatchObject({ title: 'after the outage' });
}, 60_000);
