import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { readGrpcError } from '@aether/service-kit';
import type { TestUser } from '@aether/testing';
import { pgPool } from '@aether/service-kit';
import { startTaskManager, taskManagerClient, TestStores, type StartedApp } from './support/task-manager-app';

const stores = new TestStores();
let tm: StartedApp;
let client: ReturnType<typeof taskManagerClient>;
let dev: TestUser;
let viewer: TestUser;
let stranger: TestUser;

beforeAll(async () => {
  await stores.start();
  tm = await startTaskManager(stores, {}, { grpc: true });
  client = taskManagerClient(tm.grpcPort!);
  [dev, viewer, stranger] = await Promise.all([
    stores.identities.user('developer'),
    stores.identities.user('viewer'),
    stores.identities.user('developer'),
  ]);
});

afterAll(async () => {
  client?.close();
  await tm?.close();
  await stores.stop();
});

async function grpcError(p: Promise<unknown>): Promise<{ code: number; errorCode: string; violations: { field: string }[] }> {
  const err = (await p.then(() => undefined, (e) => e)) as ServiceError | undefined;
  expect(err).toBeDefined();
  const detail = readGrpcError(err);
  return { code: err!.code, errorCode: detail.code, violations: detail.violations };
}

type Task = { id: string; title: string; version: number; dueAt: string; assigneeId: string; status: string; completedAt: string; labels: string[] };

it('refuses calls without a valid token, and writes without tasks:write', async () => {
  expect((await grpcError(client.call('ListTasks', {}, new Metadata()))).code).toBe(status.UNAUTHENTICATED);
  const forged = new Metadata();
  forged.set('authorization', 'Bearer not.a.jwt');
  expect((await grpcError(client.call('ListTasks', {}, forged))).code).toBe(status.UNAUTHENTICATED);
  expect((await grpcError(client.call('CreateTask', { title: 'x' }, viewer.metadata()))).code).toBe(status.PERMISSION_DENIED);
  await expect(client.call('ListTasks', {}, viewer.metadata())).resolves.toEqual({ items: [], nextCursor: '' });
});

it('creates, reads, patches any subset (incl. clearing) and enforces the expected version', async () => {
  const created = await client.call<Task>(
    'CreateTask',
    { title: 'over grpc', labels: ['a'], dueAt: '2030-05-01T10:00:00Z', assigneeId: viewer.id },
    dev.metadata(),
  );
  expect(created).toMatchObject({ title: 'over grpc', status: 'todo', priority: 'medium', version: 1, dueAt: '2030-05-01T10:00:00.000Z', assigneeId: viewer.id, completedAt: '' });
  await expect(client.call('GetTask', { id: created.id }, viewer.metadata())).resolves.toMatchObject({ id: created.id });
  expect((await grpcError(client.call('GetTask', { id: created.id }, stranger.metadata()))).code).toBe(status.NOT_FOUND);

  // Only `status` is present: nothing else may change.
  const done = await client.call<Task>('UpdateTask', { id: created.id, expectedVersion: 1, status: 'done' }, dev.metadata());
  expect(done).toMatchObject({ version: 2, status: 'done', title: 'over grpc', labels: ['a'], dueAt: '2030-05-01T10:00:00.000Z', assigneeId: viewer.id });
  expect(done.completedAt).not.toBe('');

  // Present-but-empty optional fields clear; an empty LabelList clears labels.
  const cleared = await client.call<Task>('UpdateTask', { id: created.id, dueAt: '', assigneeId: '', labels: { values: [] } }, dev.metadata());
  expect(cleared).toMatchObject({ version: 3, dueAt: '', assigneeId: '', labels: [], status: 'done' });

  const stale = await grpcError(client.call('UpdateTask', { id: created.id, expectedVersion: 2, title: 'late' }, dev.metadata()));
  expect(stale).toMatchObject({ code: status.FAILED_PRECONDITION, errorCode: 'VERSION_CONFLICT' });

  await client.call('DeleteTask', { id: created.id }, dev.metadata());
  expect((await grpcError(client.call('GetTask', { id: created.id }, dev.metadata()))).code).toBe(status.NOT_FOUND);
});

it('maps bad input to INVALID_ARGUMENT with field violations', async () => {
  const bad = await grpcError(client.call('CreateTask', { title: '', priority: 'asap' }, dev.metadata()));
  expect(bad).toMatchObject({ code: status.INVALID_ARGUMENT, errorCode: 'VALIDATION_FAILED' });
  expect(bad.violations.map((v) => v.field)).toEqual(['title', 'priority']);
  const filter = await grpcError(client.call('ListTasks', { status: ['nope'], sort: 'size' }, dev.metadata()));
  expect(filter.violations.map((v) => v.field)).toEqual(['status', 'sort']);
  const cron = await grpcError(client.call('CreateSchedule', { name: 'x', cron: 'every day', timezone: 'Nowhere', task: { title: 't' } }, dev.metadata()));
  expect(cron.violations.map((v) => v.field).sort()).toEqual(['cron', 'timezone']);
});

it('lists with filters and pages, and runs schedules', async () => {
  for (const title of ['one', 'two', 'three']) await client.call('CreateTask', { title, labels: ['grpc'], priority: 'high' }, stranger.metadata());
  const p1 = await client.call<{ items: Task[]; nextCursor: string }>('ListTasks', { labels: ['grpc'], priority: ['high'], sort: 'createdAt', page: { limit: 2 } }, stranger.metadata());
  expect(p1.items.map((t) => t.title)).toEqual(['one', 'two']);
  const p2 = await client.call<{ items: Task[]; nextCursor: string }>('ListTasks', { labels: ['grpc'], priority: ['high'], sort: 'createdAt', page: { limit: 2, cursor: p1.nextCursor } }, stranger.metadata());
  expect(p2).toMatchObject({ items: [{ title: 'three' }], nextCursor: '' });

  const s = await client.call<{ id: string; nextRunAt: string; enabled: boolean; task: { title: string } }>(
    'CreateSchedule',
    { name: 'daily', cron: '0 8 * * *', timezone: 'Europe/Berlin', task: { title: 'standup notes', labels: ['daily'] } },
    dev.metadata(),
  );
  expect(s).toMatchObject({ enabled: true, task: { title: 'standup notes' } });
  expect(Date.parse(s.nextRunAt)).toBeGreaterThan(Date.now());
  const task = await client.call<Task>('RunSchedule', { id: s.id }, dev.metadata());
  expect(task).toMatchObject({ title: 'standup notes', labels: ['daily'], status: 'todo' });
  const off = await client.call('UpdateSchedule', { id: s.id, enabled: false }, dev.metadata());
  expect(off).toMatchObject({ enabled: false, nextRunAt: '' });
  // Only `enabled` was sent: the name must survive.
  expect(off).toMatchObject({ name: 'daily' });
  expect((await grpcError(client.call('RunSchedule', { id: s.id }, stranger.metadata()))).code).toBe(status.NOT_FOUND);
  await client.call('DeleteSchedule', { id: s.id }, dev.metadata());
  expect((await grpcError(client.call('GetSchedule', { id: s.id }, dev.metadata()))).code).toBe(status.NOT_FOUND);
});

it('GetTask reads its row with one statement on the pool, without a TypeORM query runner', async () => {
  const created = await client.call<Task>('CreateTask', { title: 'pool read' }, dev.metadata());
  // Background loops (outbox relay, reminders) use query runners and the pool at any moment, so
  // only the statements that carry this task's id count.
  const viaRunner: unknown[][] = [];
  const createRunner = tm.db.createQueryRunner.bind(tm.db);
  const runners = jest.spyOn(tm.db, 'createQueryRunner').mockImplementation((...args: Parameters<typeof createRunner>) => {
    const runner = createRunner(...args);
    const query = runner.query.bind(runner);
    runner.query = ((sql: string, params?: unknown[], ...rest: unknown[]) => {
      viaRunner.push(params ?? []);
      return (query as (...a: unknown[]) => Promise<unknown>)(sql, params, ...rest);
    }) as typeof runner.query;
    return runner;
  });
  const statements = jest.spyOn(pgPool(tm.db), 'query');
  try {
    await expect(client.call('GetTask', { id: created.id }, dev.metadata())).resolves.toMatchObject({ id: created.id, title: 'pool read' });
    expect(viaRunner.filter((params) => params.includes(created.id))).toEqual([]);
    expect(statements.mock.calls.filter((call) => JSON.stringify(call[1]) === JSON.stringify([created.id]))).toHaveLength(1);
  } finally {
    runners.mockRestore();
    statements.mockRestore();
  }
});
