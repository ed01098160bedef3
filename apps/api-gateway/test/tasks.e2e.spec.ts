/**
 * REST → gRPC → PostgreSQL for /api/v1/tasks and /api/v1/schedules through real processes:
 * `task-manager` and `api-gateway` from dist/ (run `npm run build` first), with their own
 * PostgreSQL database, RabbitMQ vhost and Redis key prefix. Both verify access tokens against the
 * JWKS of TestIdentities (AUTH_JWKS_URL), the stand-in for the security service.
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
const redisPrefix = `${uniqueName('gw_tasks')}:`;
let database: TempResource;
let vhost: TempResource;
let redis: Redis;
let taskManager: StartedApp | undefined;
let gateway: StartedApp | undefined;
let base: string;
let alice: TestUser;
let bob: TestUser;
let viewer: TestUser;

beforeAll(async () => {
  [database, vhost, redis] = await Promise.all([createTempDatabase('gw_tasks'), createTempVhost('gw_tasks'), connectedRedis(), identities.start()]);
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
  base = gateway.httpUrl;
  [alice, bob, viewer] = await Promise.all([identities.user('developer'), identities.user('developer'), identities.user('viewer')]);
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

interface Res {
  statusCode: number;
  headers: Record<string, string>;
  body: any;
}

async function call(user: TestUser | undefined, method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res> {
  const res = await fetch(base + url, {
    method,
    headers: { ...(user ? user.bearer() : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { statusCode: res.status, headers: Object.fromEntries(res.headers), body: text ? JSON.parse(text) : undefined };
}

const fields = (r: Res) => (r.body.errors ?? []).map((e: { field: string }) => e.field);

/** A request with a body sent byte for byte (the JSON helper above cannot send an empty body). */
async function rawCall(user: TestUser, method: string, url: string, body: string): Promise<Res> {
  const res = await fetch(base + url, { method, headers: { ...user.bearer(), 'content-type': 'application/json' }, body });
  const text = await res.text();
  return { statusCode: res.status, headers: Object.fromEntries(res.headers), body: text ? JSON.parse(text) : undefined };
}

describe('/api/v1/tasks', () => {
  it('creates (201, todo, version 1) and refuses bad input with 400 problem+json', async () => {
    const r = await call(alice, 'POST', '/api/v1/tasks', { title: 'Release', labels: ['ops'], dueAt: '2030-06-01T12:00:00Z', priority: 'high' });
    expect([r.statusCode, r.body.code]).toEqual([201, undefined]);
    expect(r.body).toEqual({
      id: expect.any(String),
      title: 'Release',
      description: null,
      status: 'todo',
      priority: 'high',
      labels: ['ops'],
      dueAt: '2030-06-01T12:00:00.000Z',
      assigneeId: null,
      ownerId: alice.id,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      completedAt: null,
      version: 1,
    });

    const bad = [
      [{ title: '' }, 'title'],
      [{ title: 'x'.repeat(201) }, 'title'],
      [{ title: 'x', priority: 'asap' }, 'priority'],
      [{ title: 'x', dueAt: 'next friday' }, 'dueAt'],
      [{ title: 'x', assigneeId: 'bob' }, 'assigneeId'],
      [{ title: 'x', colour: 'red' }, 'colour'],
      // PostgreSQL text cannot hold NUL: refused up front instead of failing the insert (500).
      [{ title: 'a\u0000b' }, 'title'],
      [{ title: 'x', dueAt: '9999-12-31T23:59:59-14:00' }, 'dueAt'],
    ] as const;
    for (const [body, field] of bad) {
      const res = await call(alice, 'POST', '/api/v1/tasks', body);
      expect([res.statusCode, res.headers['content-type']]).toEqual([400, expect.stringContaining('application/problem+json')]);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(fields(res)).toContain(field);
    }
    // 200 characters, not 200 UTF-16 units: an emoji title of 200 fits the varchar(200).
    expect((await call(alice, 'POST', '/api/v1/tasks', { title: '😀'.repeat(200) })).body).toMatchObject({ title: '😀'.repeat(200) });
  });

  it('replays a POST with the same Idempotency-Key instead of creating twice', async () => {
    const body = { title: 'exactly once', labels: ['idem'] };
    const first = await call(alice, 'POST', '/api/v1/tasks', body, { 'idempotency-key': 'k-1' });
    const again = await call(alice, 'POST', '/api/v1/tasks', body, { 'idempotency-key': 'k-1' });
    expect(first.statusCode).toBe(201);
    expect(again).toMatchObject({ statusCode: 201, body: first.body });
    const list = await call(alice, 'GET', '/api/v1/tasks?label=idem');
    expect(list.body.items).toHaveLength(1);
    expect((await call(alice, 'POST', '/api/v1/tasks', { title: 'other' }, { 'idempotency-key': 'k-1' })).statusCode).toBe(422);
  });

  it('GET has the version as ETag; PATCH honours If-Match (412 VERSION_CONFLICT) and clears with null', async () => {
    const { body: t } = await call(alice, 'POST', '/api/v1/tasks', { title: 'etag me', dueAt: '2030-01-01T00:00:00Z', assigneeId: bob.id });
    const got = await call(alice, 'GET', `/api/v1/tasks/${t.id}`);
    expect([got.statusCode, got.headers.etag]).toEqual([200, '"1"']);
    // A client holding the current ETag gets 304 and no body; an older one gets the task.
    const notModified = await call(alice, 'GET', `/api/v1/tasks/${t.id}`, undefined, { 'if-none-match': '"1"' });
    expect([notModified.statusCode, notModified.headers.etag, notModified.body]).toEqual([304, '"1"', undefined]);
    const changedSince = await call(alice, 'GET', `/api/v1/tasks/${t.id}`, undefined, { 'if-none-match': '"0"' });
    expect([changedSince.statusCode, changedSince.body?.id]).toEqual([200, t.id]);

    const patched = await call(alice, 'PATCH', `/api/v1/tasks/${t.id}`, { status: 'done' }, { 'if-match': '"1"' });
    expect(patched).toMatchObject({ statusCode: 200, headers: { etag: '"2"' }, body: { version: 2, status: 'done', dueAt: '2030-01-01T00:00:00.000Z', assigneeId: bob.id } });
    expect(patched.body.completedAt).toEqual(expect.any(String));

    const stale = await call(bob, 'PATCH', `/api/v1/tasks/${t.id}`, { title: 'late' }, { 'if-match': '1' });
    expect(stale.statusCode).toBe(412);
    expect(stale.body).toMatchObject({ status: 412, code: 'VERSION_CONFLICT' });

    const cleared = await call(bob, 'PATCH', `/api/v1/tasks/${t.id}`, { dueAt: null, status: 'todo' }, { 'if-match': '"2"' });
    expect(cleared.body).toMatchObject({ version: 3, dueAt: null, completedAt: null, title: 'etag me', assigneeId: bob.id });
    const unassigned = await call(alice, 'PATCH', `/api/v1/tasks/${t.id}`, { assigneeId: null });
    expect(unassigned.body).toMatchObject({ version: 4, assigneeId: null });
    // Bob is no longer assigned: the task is someone else's now.
    expect((await call(bob, 'GET', `/api/v1/tasks/${t.id}`)).statusCode).toBe(404);

    expect((await call(alice, 'PATCH', `/api/v1/tasks/${t.id}`, { title: null })).statusCode).toBe(400);
    expect((await call(alice, 'PATCH', `/api/v1/tasks/${t.id}`, { status: 'archived' })).statusCode).toBe(400);
    expect((await call(alice, 'PATCH', `/api/v1/tasks/${t.id}`, { title: 'x' }, { 'if-match': 'banana' })).statusCode).toBe(400);
  });

  it('PATCH refuses bad input with 400 and leaves the task as it was', async () => {
    const { body: t } = await call(alice, 'POST', '/api/v1/tasks', { title: 'keep me', dueAt: '2030-03-01T09:00:00Z', description: 'd' });
    const bad: [string, string, string][] = [
      ['{"dueAt": ""}', 'dueAt', 'null'], // clearing is null; "" is no date
      ['{"dueAt": "2030-01-01"}', 'dueAt', 'time zone'], // a due date needs its time and zone
      ['{"description": ""}', 'description', 'null'],
      ['', '(body)', 'JSON object'],
      [' \n\t ', '(body)', 'JSON object'],
    ];
    for (const [body, field, hint] of bad) {
      const r = await rawCall(alice, 'PATCH', `/api/v1/tasks/${t.id}`, body);
      expect([JSON.stringify(body), r.statusCode, r.body.code]).toEqual([JSON.stringify(body), 400, 'VALIDATION_FAILED']);
      expect(r.body.errors).toEqual([{ field, message: expect.stringContaining(hint) }]);
    }
    const after = await call(alice, 'GET', `/api/v1/tasks/${t.id}`);
    expect(after.body).toEqual(t);
    expect(after.headers.etag).toBe('"1"');
  });

  it('a PATCH that changes nothing answers 200 with the task unchanged: same version, ETag and updatedAt', async () => {
    const { body: t } = await call(alice, 'POST', '/api/v1/tasks', { title: 'steady', labels: ['a'], dueAt: '2030-03-01T09:00:00Z', priority: 'high' });
    for (const body of [{}, { title: 'steady' }, { labels: ['a'], priority: 'high', status: 'todo', dueAt: '2030-03-01T10:00:00+01:00' }]) {
      const r = await call(alice, 'PATCH', `/api/v1/tasks/${t.id}`, body, { 'if-match': '"1"' });
      expect([r.statusCode, r.headers.etag]).toEqual([200, '"1"']);
      expect(r.body).toEqual(t);
    }
    const changed = await call(alice, 'PATCH', `/api/v1/tasks/${t.id}`, { title: 'moved' });
    expect([changed.body.version, changed.headers.etag]).toEqual([2, '"2"']);
    expect(Date.parse(changed.body.updatedAt)).toBeGreaterThan(Date.parse(t.updatedAt));
  });

  it('stores text exactly as sent: a BOM and white space survive; "" where null means none is a 400', async () => {
    const title = '\uFEFF  Ship it  ';
    const description = '\uFEFFline 1\n  line 2 ';
    const created = await call(alice, 'POST', '/api/v1/tasks', { title, description, labels: ['two words'] });
    expect(created.statusCode).toBe(201);
    expect(created.body).toMatchObject({ title, description, labels: ['two words'] });
    // The raw bytes too (the client's JSON parser is not the one under test).
    const res = await fetch(`${base}/api/v1/tasks/${created.body.id}`, { headers: alice.bearer() });
    expect(Buffer.from(await res.arrayBuffer()).includes(Buffer.from('"\uFEFF  Ship it  "', 'utf8'))).toBe(true);

    const refused = await call(alice, 'POST', '/api/v1/tasks', { title: 'x', description: '', dueAt: '' });
    expect(refused.statusCode).toBe(400);
    expect(fields(refused).sort()).toEqual(['description', 'dueAt']);
    expect(fields(await call(alice, 'POST', '/api/v1/tasks', { title: 'x', labels: [' padded'] }))).toEqual(['labels.0']);
    expect((await call(alice, 'POST', '/api/v1/tasks', { title: 'x', description: null, dueAt: null })).body).toMatchObject({ description: null, dueAt: null });
    const cleared = await call(alice, 'PATCH', `/api/v1/tasks/${created.body.id}`, { description: null });
    expect(cleared.body).toMatchObject({ description: null, title, version: 2 });
  });

  it('lists with filters and cursor pages; bad filters are 400', async () => {
    const carol = await identities.user('developer');
    for (const [title, priority, status] of [['a', 'low', 'todo'], ['b', 'urgent', 'done'], ['c', 'urgent', 'todo']]) {
      const { body } = await call(carol, 'POST', '/api/v1/tasks', { title, priority, labels: ['list'] });
      if (status !== 'todo') await call(carol, 'PATCH', `/api/v1/tasks/${body.id}`, { status });
    }
    const titles = async (qs: string) => {
      const r = await call(carol, 'GET', `/api/v1/tasks?${qs}`);
      expect(r.statusCode).toBe(200);
      return r.body.items.map((t: { title: string }) => t.title);
    };
    expect(await titles('sort=createdAt')).toEqual(['a', 'b', 'c']);
    expect(await titles('status=todo')).toEqual(['c', 'a']);
    expect(await titles('status=todo,done&priority=urgent')).toEqual(['c', 'b']);
    expect(await titles('priority=urgent&priority=low&sort=priority')).toEqual(['a', 'b', 'c']);
    expect(await titles('label=list&q=c')).toEqual(['c']);
    expect(await titles('label=other')).toEqual([]);
    const p1 = await call(carol, 'GET', '/api/v1/tasks?limit=2&sort=createdAt');
    expect(p1.body.items.map((t: { title: string }) => t.title)).toEqual(['a', 'b']);
    const p2 = await call(carol, 'GET', `/api/v1/tasks?limit=2&sort=createdAt&cursor=${encodeURIComponent(p1.body.nextCursor)}`);
    expect(p2.body).toMatchObject({ items: [{ title: 'c' }], nextCursor: null });

    for (const [qs, field] of [
      ['status=open', 'status'],
      ['sort=title', 'sort'],
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['dueBefore=soon', 'dueBefore'],
      ['assigneeId=x', 'assigneeId'],
      ['cursor=nonsense', 'cursor'],
      ['colour=red', 'colour'],
    ]) {
      const r = await call(carol, 'GET', `/api/v1/tasks?${qs}`);
      expect([qs, r.statusCode]).toEqual([qs, 400]);
      expect(fields(r)).toContain(field);
    }
  });

  it('401 without credentials, 403 for a viewer writing, 404 for someone else\'s task, 204 on delete', async () => {
    const { body: t } = await call(alice, 'POST', '/api/v1/tasks', { title: 'mine' });
    const anon = await call(undefined, 'GET', '/api/v1/tasks');
    expect(anon.statusCode).toBe(401);
    expect(anon.headers['www-authenticate']).toMatch(/^Bearer/);
    expect((await call(viewer, 'GET', '/api/v1/tasks')).statusCode).toBe(200);
    expect((await call(viewer, 'POST', '/api/v1/tasks', { title: 'nope' })).statusCode).toBe(403);
    expect((await call(viewer, 'DELETE', `/api/v1/tasks/${t.id}`)).statusCode).toBe(403);
    expect((await call(bob, 'GET', `/api/v1/tasks/${t.id}`)).body).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect((await call(bob, 'DELETE', `/api/v1/tasks/${t.id}`)).statusCode).toBe(404);
    expect((await call(alice, 'GET', '/api/v1/tasks/not-a-uuid')).statusCode).toBe(400);
    const del = await call(alice, 'DELETE', `/api/v1/tasks/${t.id}`);
    expect(del.statusCode).toBe(204);
    expect((await call(alice, 'GET', `/api/v1/tasks/${t.id}`)).statusCode).toBe(404);
  });
});

describe('/api/v1/schedules', () => {
  it('creates, lists, gets, disables, runs now (201) and deletes', async () => {
    const created = await call(alice, 'POST', '/api/v1/schedules', {
      name: 'Monday report',
      cron: '0 9 * * MON',
      timezone: 'Europe/Berlin',
      task: { title: 'Write the report', labels: ['report'], priority: 'high' },
    });
    expect(created.statusCode).toBe(201);
    const s = created.body;
    expect(s).toMatchObject({
      name: 'Monday report',
      cron: '0 9 * * MON',
      timezone: 'Europe/Berlin',
      enabled: true,
      lastRunAt: null,
      task: { title: 'Write the report', description: null, priority: 'high', labels: ['report'], assigneeId: null },
    });
    expect(Date.parse(s.nextRunAt)).toBeGreaterThan(Date.now());

    expect((await call(alice, 'GET', '/api/v1/schedules')).body.items.map((x: { id: string }) => x.id)).toContain(s.id);
    expect((await call(alice, 'GET', `/api/v1/schedules/${s.id}`)).body).toMatchObject({ id: s.id });
    expect((await call(bob, 'GET', `/api/v1/schedules/${s.id}`)).statusCode).toBe(404);

    const off = await call(alice, 'PATCH', `/api/v1/schedules/${s.id}`, { enabled: false });
    expect(off.body).toMatchObject({ enabled: false, nextRunAt: null, name: 'Monday report' });

    const run = await call(alice, 'POST', `/api/v1/schedules/${s.id}/run`);
    expect(run.statusCode).toBe(201);
    expect(run.body).toMatchObject({ title: 'Write the report', status: 'todo', version: 1, ownerId: alice.id, labels: ['report'] });
    expect((await call(alice, 'GET', `/api/v1/tasks/${run.body.id}`)).statusCode).toBe(200);
    expect((await call(alice, 'GET', `/api/v1/schedules/${s.id}`)).body.lastRunAt).toEqual(expect.any(String));

    expect((await call(alice, 'DELETE', `/api/v1/schedules/${s.id}`)).statusCode).toBe(204);
    expect((await call(alice, 'GET', `/api/v1/schedules/${s.id}`)).statusCode).toBe(404);
    expect((await call(alice, 'POST', `/api/v1/schedules/${s.id}/run`)).statusCode).toBe(404);
  });

  it('stores names as sent, refuses an empty time zone, and PATCH answers nothing-to-change unchanged', async () => {
    const name = '\uFEFF Daily ';
    const created = await call(alice, 'POST', '/api/v1/schedules', { name, cron: '0 9 * * *', task: { title: ' t ', description: ' d ' } });
    expect(created.statusCode).toBe(201);
    expect(created.body).toMatchObject({ name, timezone: 'UTC', task: { title: ' t ', description: ' d ' } });
    const s = created.body;

    const emptyTz = await call(alice, 'POST', '/api/v1/schedules', { name: 'n', cron: '0 9 * * *', timezone: '', task: { title: 't' } });
    expect([emptyTz.statusCode, fields(emptyTz)]).toEqual([400, ['timezone']]);
    expect(fields(await call(alice, 'POST', '/api/v1/schedules', { name: 'n', cron: '0 9 * * *', task: { title: 't', description: '' } }))).toEqual(['task.description']);

    for (const body of ['', '  ']) {
      const r = await rawCall(alice, 'PATCH', `/api/v1/schedules/${s.id}`, body);
      expect([r.statusCode, fields(r)]).toEqual([400, ['(body)']]);
    }
    const same = await call(alice, 'PATCH', `/api/v1/schedules/${s.id}`, {});
    expect(same).toMatchObject({ statusCode: 200, body: { updatedAt: s.updatedAt, name, enabled: true } });
  });

  it('rejects an invalid cron or time zone with the reason (400)', async () => {
    const base = { name: 'n', cron: '0 9 * * *', task: { title: 't' } };
    const badCron = await call(alice, 'POST', '/api/v1/schedules', { ...base, cron: '0 25 * * *' });
    expect(badCron.statusCode).toBe(400);
    expect(badCron.body.errors).toEqual([{ field: 'cron', message: expect.stringContaining('not a valid cron expression') }]);
    const badTz = await call(alice, 'POST', '/api/v1/schedules', { ...base, timezone: 'Europe/Atlantis' });
    expect(badTz.statusCode).toBe(400);
    expect(fields(badTz)).toEqual(['timezone']);
    expect(fields(await call(alice, 'POST', '/api/v1/schedules', { ...base, task: { title: '' } }))).toEqual(['task.title']);
    expect(fields(await call(alice, 'POST', '/api/v1/schedules', { name: 'n', cron: '* * * * *' }))).toEqual(['task']);
    expect((await call(viewer, 'POST', '/api/v1/schedules', base)).statusCode).toBe(403);
  });
});
