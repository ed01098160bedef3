/**
 * Validation messages with any characters cross gRPC intact (google.rpc.Status in
 * grpc-status-details-bin) and reach the client as 400 problem+json, never 500: real
 * `task-manager` and `api-gateway` processes from dist/ (run `npm run build` first), with their
 * own PostgreSQL database, RabbitMQ vhost and Redis key prefix.
 */
import {
  createTempDatabase,
  createTempVhost,
  startApp,
  TestIdentities,
  uniqueName,
  type StartedApp,
  type TempResource,
  type TestUser,
} from '@aether/testing';
import type Redis from 'ioredis';
import { connectedRedis, dropPrefix } from './redis-helpers';

jest.setTimeout(120_000);

const identities = new TestIdentities();
const redisPrefix = `${uniqueName('gw_errdetails')}:`;
let database: TempResource;
let vhost: TempResource;
let redis: Redis;
let taskManager: StartedApp | undefined;
let gateway: StartedApp | undefined;
let alice: TestUser;

beforeAll(async () => {
  [database, vhost, redis] = await Promise.all([
    createTempDatabase('gw_errdetails'),
    createTempVhost('gw_errdetails'),
    connectedRedis(),
    identities.start(),
  ]);
  taskManager = await startApp('task-manager', {
    DATABASE_URL: database.url,
    RABBITMQ_URL: vhost.url,
    AUTH_JWKS_URL: identities.jwksUrl,
    SCHEDULER_ENABLED: 'false',
  });
  gateway = await startApp('api-gateway', {
    REDIS_URL: 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: redisPrefix,
    AUTH_JWKS_URL: identities.jwksUrl,
    GRPC_DEADLINE_MS: '5000',
    TASK_MANAGER_GRPC_URL: taskManager.grpcAddress,
  });
  alice = await identities.user('developer');
});

afterAll(async () => {
  await gateway?.stop(5000);
  await taskManager?.stop(5000);
  if (redis) {
    await dropPrefix(redis, redisPrefix).catch(() => undefined);
    await redis.quit();
  }
  await Promise.allSettled([database?.drop(), vhost?.drop(), identities.stop()]);
});

async function createSchedule(body: unknown) {
  const res = await fetch(`${gateway!.httpUrl}/api/v1/schedules`, {
    method: 'POST',
    headers: { ...alice.bearer(), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: (await res.json()) as any };
}

const task = { title: 'Weekly report' };

it.each([
  ['timezone', { name: 'weekly', cron: '0 9 * * 1', timezone: 'Europe/Bärlin', task }, 'Europe/Bärlin'],
  ['cron', { name: 'weekly', cron: '0 9 * * MÖN', timezone: 'UTC', task }, undefined],
  ['timezone', { name: 'weekly', cron: '0 9 * * 1', timezone: 'Zeit/🕘\r\nZone', task }, 'Zeit/🕘\r\nZone'],
])('a bad %s with non-ASCII characters is 400 VALIDATION_FAILED naming the field, not 500', async (field, body, echoed) => {
  const res = await createSchedule(body);
  expect(res.status).toBe(400);
  expect(res.contentType).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', requestId: expect.any(String) });
  const violation = (res.body.errors as { field: string; message: string }[]).find((e) => e.field === field);
  expect(violation).toBeDefined();
  if (echoed) expect(violation!.message).toContain(echoed);
});
