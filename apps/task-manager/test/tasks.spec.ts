import { randomUUID } from 'node:crypto';
import type { taskManagerV1 } from '@aether/contracts';
import { NotFoundError, PermissionDeniedError, PreconditionFailedError, ValidationError } from '@aether/service-kit';
import { TaskEntity as TaskEntityClass, type TaskEntity } from '../src/tasks/task.entity';
import { TasksService } from '../src/tasks/tasks.service';
import type { TaskManagerUser } from './support/task-manager-user';
import { startTaskManager, TestStores, type StartedApp } from './support/task-manager-app';

const stores = new TestStores();
let tm: StartedApp;
let tasks: TasksService;
let alice: TaskManagerUser;
let bob: TaskManagerUser;
let carol: TaskManagerUser;
let admin: TaskManagerUser;

beforeAll(async () => {
  await stores.start();
  tm = await startTaskManager(stores);
  tasks = tm.get(TasksService);
  [alice, bob, carol, admin] = await Promise.all([
    stores.user('developer'),
    stores.user('developer'),
    stores.user('developer'),
    stores.user('admin'),
  ]);
});

afterAll(async () => {
  await tm?.close();
  await stores.stop();
});

const create = (u: TaskManagerUser, req: Partial<taskManagerV1.CreateTaskRequest>) =>
  tasks.create(u.actor, { title: 'a task', description: '', priority: '', labels: [], dueAt: '', assigneeId: '', ...req });

const update = (u: TaskManagerUser, id: string, req: Partial<taskManagerV1.UpdateTaskRequest>) =>
  tasks.update(u.actor, { id, expectedVersion: 0, labels: undefined, ...req });

const listReq = (req: Partial<taskManagerV1.ListTasksRequest>): taskManagerV1.ListTasksRequest => ({
  page: { limit: 100, cursor: '' },
  status: [],
  priority: [],
  labels: [],
  assigneeId: '',
  q: '',
  dueBefore: '',
  dueAfter: '',
  sort: '',
  ...req,
});

async function outboxFor(taskId: string): Promise<{ type: string; subject: string; payload: { data: Record<string, any> } }[]> {
  return tm.db.query(`SELECT type, subject, payload FROM outbox_events WHERE payload->'data'->'task'->>'id' = $1 ORDER BY seq`, [taskId]);
}

async function violationsOf(p: Promise<unknown>): Promise<string[]> {
  const err = await p.then(
    () => undefined,
    (e) => e,
  );
  expect(err).toBeInstanceOf(ValidationError);
  return (err as ValidationError).violations.map((v) => v.field);
}

describe('create', () => {
  it('starts at todo / version 1 / medium and records task.created with the owner as subject', async () => {
    const t = await create(alice, { title: 'Write docs', labels: ['docs', 'api'], dueAt: '2030-01-02T03:04:05+02:00' });
    expect(t).toMatchObject({ title: 'Write docs', status: 'todo', priority: 'medium', version: 1, ownerId: alice.id, labels: ['docs', 'api'] });
    expect(t.dueAt?.toISOString()).toBe('2030-01-02T01:04:05.000Z');
    const stored = await tasks.get(alice.actor, t.id);
    expect(stored).toMatchObject({ title: 'Write docs', version: 1, labels: ['docs', 'api'] });

    const events = await outboxFor(t.id);
    expect(events.map((e) => e.type)).toEqual(['task-manager.task.created']);
    expect(events[0].subject).toBe(alice.id);
    expect(events[0].payload.data).toEqual({ task: expect.objectContaining({ id: t.id, title: 'Write docs', status: 'todo', version: 1, ownerId: alice.id }) });
  });

  it('rejects empty and long titles, unknown enums, bad dates and ids — all at once, nothing stored', async () => {
    const before = Number((await tm.db.query(`SELECT count(*) AS n FROM tasks`))[0].n);
    expect(await violationsOf(create(alice, { title: '   ' }))).toEqual(['title']);
    expect(await violationsOf(create(alice, { title: 'x'.repeat(201) }))).toEqual(['title']);
    await expect(create(alice, { title: 'x'.repeat(200) })).resolves.toBeDefined();
    expect(
      await violationsOf(create(alice, { title: '', priority: 'critical', dueAt: 'tomorrow', assigneeId: 'bob', labels: [''] })),
    ).toEqual(['title', 'priority', 'labels.0', 'assigneeId', 'dueAt']);
    expect(await violationsOf(create(alice, { dueAt: '2030-02-31T00:00:00Z' }))).toEqual(['dueAt']);
    expect(await violationsOf(create(alice, { dueAt: '2030-01-01T10:00:00' }))).toEqual(['dueAt']);
    // A bare date leaves the time and zone to guess: a due date is a date-time with a zone.
    expect(await violationsOf(create(alice, { dueAt: '2030-01-01' }))).toEqual(['dueAt']);
    expect(Number((await tm.db.query(`SELECT count(*) AS n FROM tasks`))[0].n)).toBe(before + 1);
  });

  it('stores text exactly as sent (BOM, surrounding white space) or refuses it — never alters it', async () => {
    const title = '\uFEFF  Write docs\u00A0 ';
    const description = '\uFEFF\n  indented\n';
    const t = await create(alice, { title, description, labels: ['two words', 'ok'] });
    const [row] = await tm.db.query(`SELECT title, description, labels FROM tasks WHERE id = $1`, [t.id]);
    expect(row).toEqual({ title, description, labels: ['two words', 'ok'] });
    expect(await tasks.get(alice.actor, t.id)).toMatchObject({ title, description });

    // Blank is empty, even when the blanks are a BOM or no-break spaces.
    expect(await violationsOf(create(alice, { title: '\uFEFF \u00A0' }))).toEqual(['title']);
    // A label with white space around it could never be found by ?label= (trimmed); a repeat is not a second label.
    expect(await violationsOf(create(alice, { labels: [' api', 'docs', 'docs', '\t', '\uFEFFbom'] }))).toEqual(['labels.0', 'labels.2', 'labels.3', 'labels.4']);
    expect(await violationsOf(update(alice, t.id, { labels: { values: ['x', 'x '] } }))).toEqual(['labels.1']);
    expect(await violationsOf(update(alice, t.id, { title: ' \u2003 ' }))).toEqual(['title']);

    const patched = await update(alice, t.id, { title: '  spaced  ' });
    expect(patched.title).toBe('  spaced  ');
  });
});

describe('update', () => {
  it('changes only the fields sent, bumps the version, and manages completedAt and events', async () => {
    const t = await create(alice, { title: 'ship it', labels: ['x'], dueAt: '2030-01-01T00:00:00Z', assigneeId: bob.id, description: 'd' });

    const u1 = await update(alice, t.id, { priority: 'urgent' });
    expect(u1).toMatchObject({ version: 2, priority: 'urgent', title: 'ship it', description: 'd', labels: ['x'], assigneeId: bob.id });
    expect(u1.dueAt?.toISOString()).toBe('2030-01-01T00:00:00.000Z');

    const done = await update(bob, t.id, { status: 'done' }); // the assignee may change it
    expect(done.version).toBe(3);
    expect(done.completedAt).toBeInstanceOf(Date);

    const reopened = await update(alice, t.id, { status: 'in_progress', dueAt: '', assigneeId: '', labels: { values: [] } });
    expect(reopened).toMatchObject({ version: 4, status: 'in_progress', completedAt: null, dueAt: null, assigneeId: null, labels: [] });

    const stored = await tasks.get(alice.actor, t.id);
    expect(stored).toMatchObject({ version: 4, completedAt: null, dueAt: null, assigneeId: null, labels: [] });

    const events = await outboxFor(t.id);
    expect(events.map((e) => e.type)).toEqual([
      'task-manager.task.created',
      'task-manager.task.updated',
      'task-manager.task.updated',
      'task-manager.task.completed',
      'task-manager.task.updated',
    ]);
    expect(events.every((e) => e.subject === alice.id)).toBe(true);
    expect(events[3].payload.data.task).toMatchObject({ status: 'done', version: 3 });
    expect(events[4].payload.data.changes).toEqual(expect.arrayContaining(['status', 'dueAt', 'assigneeId', 'labels']));
  });

  it('honours If-Match: a stale expected version is VERSION_CONFLICT and changes nothing', async () => {
    const t = await create(alice, { title: 'v' });
    await expect(update(alice, t.id, { expectedVersion: 1, title: 'v2' })).resolves.toMatchObject({ version: 2 });
    const err = await update(alice, t.id, { expectedVersion: 1, title: 'lost update' }).catch((e) => e);
    expect(err).toBeInstanceOf(PreconditionFailedError);
    expect(err.code).toBe('VERSION_CONFLICT');
    expect(await tasks.get(alice.actor, t.id)).toMatchObject({ title: 'v2', version: 2 });
  });

  it('serialises concurrent updates: every one gets its own version', async () => {
    const t = await create(alice, { title: 'race' });
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => update(alice, t.id, { title: `r${i}` })));
    expect(results.map((r) => r.version).sort()).toEqual([2, 3, 4, 5, 6]);
  });

  it('rejects bad values', async () => {
    const t = await create(alice, { title: 'x', dueAt: '2030-06-01T00:00:00Z' });
    expect(await violationsOf(update(alice, t.id, { status: 'finished', title: '' }))).toEqual(['title', 'status']);
    expect(await violationsOf(update(alice, t.id, { dueAt: '2030-01-01' }))).toEqual(['dueAt']);
    expect(await tasks.get(alice.actor, t.id)).toMatchObject({ version: 1, title: 'x', dueAt: new Date('2030-06-01T00:00:00Z') });
  });

  it('a patch that changes nothing changes nothing: no version bump, no updatedAt change, no event', async () => {
    const t = await create(alice, {
      title: 'steady',
      description: 'd',
      priority: 'high',
      labels: ['a', 'b'],
      dueAt: '2030-01-01T00:00:00Z',
      assigneeId: bob.id,
    });
    const samePatches: Partial<taskManagerV1.UpdateTaskRequest>[] = [
      {},
      { title: 'steady' },
      { title: 'steady', description: 'd', priority: 'high', status: 'todo', labels: { values: ['a', 'b'] } },
      // The same instant in another zone is the same due date.
      { dueAt: '2030-01-01T01:00:00+01:00', assigneeId: bob.id.toUpperCase() },
      { expectedVersion: 1 },
    ];
    for (const patch of samePatches) {
      const same = await update(alice, t.id, patch);
      expect(same).toMatchObject({ version: 1, title: 'steady', description: 'd', labels: ['a', 'b'] });
      expect(same.updatedAt.getTime()).toBe(t.updatedAt.getTime());
    }
    const [row] = await tm.db.query(`SELECT version, updated_at FROM tasks WHERE id = $1`, [t.id]);
    expect([row.version, row.updated_at.getTime()]).toEqual([1, t.updatedAt.getTime()]);
    expect((await outboxFor(t.id)).map((e) => e.type)).toEqual(['task-manager.task.created']);

    // A stale If-Match is still a conflict, even for a patch that would change nothing.
    await update(alice, t.id, { priority: 'low' });
    await expect(update(alice, t.id, { expectedVersion: 1 })).rejects.toBeInstanceOf(PreconditionFailedError);
    // A real change after no-ops is the next version.
    expect((await tasks.get(alice.actor, t.id)).version).toBe(2);
  });
});

describe('visibility', () => {
  let owned: TaskEntity;
  beforeAll(async () => {
    owned = await create(alice, { title: 'private-ish', assigneeId: bob.id });
  });

  it('owner and assignee see the task; a stranger gets NOT_FOUND for every operation', async () => {
    await expect(tasks.get(alice.actor, owned.id)).resolves.toMatchObject({ id: owned.id });
    await expect(tasks.get(bob.actor, owned.id)).resolves.toMatchObject({ id: owned.id });
    await expect(tasks.get(carol.actor, owned.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(update(carol, owned.id, { title: 'mine now' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(tasks.delete(carol.actor, owned.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(tasks.get(alice.actor, randomUUID())).rejects.toBeInstanceOf(NotFoundError);
    await expect(tasks.get(alice.actor, 'not-a-uuid')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('get (plain SQL) reads the task exactly as the TypeORM repository maps it, every column set', async () => {
    const t = await create(alice, { title: 'full', description: 'd', priority: 'urgent', labels: ['a', 'b'], dueAt: '2031-02-03T04:05:06Z', assigneeId: bob.id });
    await tm.db.query(`UPDATE tasks SET status = 'done', completed_at = now(), reminded_at = now() WHERE id = $1`, [t.id]);
    const mapped = await tm.db.getRepository(TaskEntityClass).findOneByOrFail({ id: t.id });
    const got = await tasks.get(bob.actor, t.id);
    expect(got).toBeInstanceOf(TaskEntityClass);
    expect(got).toStrictEqual(mapped);
    expect(got.dueAt).toBeInstanceOf(Date);
  });

  it('the assignee may not delete; an admin sees and changes everything', async () => {
    await expect(tasks.delete(bob.actor, owned.id)).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(tasks.get(admin.actor, owned.id)).resolves.toMatchObject({ id: owned.id });
    await expect(update(admin, owned.id, { priority: 'high' })).resolves.toMatchObject({ priority: 'high' });
  });

  it('delete removes the task and records task.deleted', async () => {
    const t = await create(carol, { title: 'bye' });
    await tasks.delete(carol.actor, t.id);
    await expect(tasks.get(carol.actor, t.id)).rejects.toBeInstanceOf(NotFoundError);
    expect((await outboxFor(t.id)).map((e) => e.type)).toEqual(['task-manager.task.created', 'task-manager.task.deleted']);
  });
});

describe('list', () => {
  let dana: TaskManagerUser;
  let erin: TaskManagerUser;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    // A separate pair of users so other tests' tasks do not show up.
    [dana, erin] = await Promise.all([stores.user('developer'), stores.user('developer')]);
    const mk = async (key: string, u: TaskManagerUser, req: Partial<taskManagerV1.CreateTaskRequest>, status?: string) => {
      const t = await create(u, { title: key, ...req });
      if (status) await update(u, t.id, { status });
      ids[key] = t.id;
    };
    await mk('deploy', dana, { description: 'Deployment of the billing service', priority: 'urgent', labels: ['ops', 'billing'], dueAt: '2030-01-03T00:00:00Z' });
    await mk('docs', dana, { description: 'write the handbook', priority: 'low', labels: ['docs'], dueAt: '2030-01-01T00:00:00Z' }, 'done');
    await mk('bug', dana, { description: 'fix flaky billing test', priority: 'high', labels: ['billing'], assigneeId: erin.id }, 'in_progress');
    await mk('idea', dana, { description: 'someday', labels: [] }, 'cancelled');
    await mk('erin-for-dana', erin, { description: 'review deploying scripts', priority: 'medium', labels: ['ops'], assigneeId: dana.id, dueAt: '2030-01-02T00:00:00Z' });
    await mk('erin-own', erin, { description: 'not for dana', priority: 'urgent' });
  });

  const titles = async (u: TaskManagerUser, req: Partial<taskManagerV1.ListTasksRequest>) =>
    (await tasks.list(u.actor, listReq(req))).items.map((t) => t.title);

  it('shows own and assigned tasks, newest first by default; admin sees everyone', async () => {
    expect(await titles(dana, {})).toEqual(['erin-for-dana', 'idea', 'bug', 'docs', 'deploy']);
    expect(await titles(erin, {})).toEqual(['erin-own', 'erin-for-dana', 'bug']);
    const all = await titles(admin, { page: { limit: 100, cursor: '' } });
    expect(all).toEqual(expect.arrayContaining(['erin-own', 'erin-for-dana', 'idea', 'bug', 'docs', 'deploy']));
  });

  it('filters by status, priority, label(s), assignee, due range and text', async () => {
    expect(await titles(dana, { status: ['done'] })).toEqual(['docs']);
    expect(await titles(dana, { status: ['todo', 'in_progress'] })).toEqual(['erin-for-dana', 'bug', 'deploy']);
    expect(await titles(dana, { priority: ['urgent', 'low'] })).toEqual(['docs', 'deploy']);
    expect(await titles(dana, { labels: ['billing'] })).toEqual(['bug', 'deploy']);
    expect(await titles(dana, { labels: ['billing', 'ops'] })).toEqual(['deploy']);
    expect(await titles(dana, { assigneeId: erin.id })).toEqual(['bug']);
    expect(await titles(dana, { assigneeId: dana.id })).toEqual(['erin-for-dana']);
    expect(await titles(dana, { dueBefore: '2030-01-03T00:00:00Z' })).toEqual(['erin-for-dana', 'docs']);
    expect(await titles(dana, { dueAfter: '2030-01-02T00:00:00Z' })).toEqual(['erin-for-dana', 'deploy']);
    expect(await titles(dana, { dueAfter: '2030-01-01T12:00:00Z', dueBefore: '2030-01-02T12:00:00Z' })).toEqual(['erin-for-dana']);
    // Full text with stemming: "deploying" / "deployment" / "deploy" are one word.
    expect(await titles(dana, { q: 'deploy' })).toEqual(['erin-for-dana', 'deploy']);
    expect(await titles(dana, { q: 'billing -flaky' })).toEqual(['deploy']);
    expect(await titles(dana, { q: '"billing test"' })).toEqual(['bug']);
    expect(await titles(dana, { q: 'handbook', status: ['done'], labels: ['docs'] })).toEqual(['docs']);
    expect(await titles(carol, { q: 'deploy' })).toEqual([]);
  });

  it('sorts by createdAt, dueAt (undated last) and priority, ascending or descending', async () => {
    expect(await titles(dana, { sort: 'createdAt' })).toEqual(['deploy', 'docs', 'bug', 'idea', 'erin-for-dana']);
    expect(await titles(dana, { sort: 'dueAt' })).toEqual(['docs', 'erin-for-dana', 'deploy', 'bug', 'idea']);
    expect(await titles(dana, { sort: '-dueAt' })).toEqual(['idea', 'bug', 'deploy', 'erin-for-dana', 'docs']);
    expect(await titles(dana, { sort: '-priority' })).toEqual(['deploy', 'bug', 'erin-for-dana', 'idea', 'docs']);
    expect(await titles(dana, { sort: 'priority' })).toEqual(['docs', 'idea', 'erin-for-dana', 'bug', 'deploy']);
  });

  it('rejects bad filters, sorts, limits and cursors with the field named', async () => {
    expect(await violationsOf(tasks.list(dana.actor, listReq({ status: ['open'] })))).toEqual(['status']);
    expect(await violationsOf(tasks.list(dana.actor, listReq({ priority: ['p1'] })))).toEqual(['priority']);
    expect(await violationsOf(tasks.list(dana.actor, listReq({ sort: 'title' })))).toEqual(['sort']);
    expect(await violationsOf(tasks.list(dana.actor, listReq({ dueBefore: 'soon', dueAfter: '2030-13-01' })))).toEqual(['dueBefore', 'dueAfter']);
    expect(await violationsOf(tasks.list(dana.actor, listReq({ assigneeId: 'erin' })))).toEqual(['assigneeId']);
    expect(await violationsOf(tasks.list(dana.actor, listReq({ page: { limit: 101, cursor: '' } })))).toEqual(['limit']);
    expect(await violationsOf(tasks.list(dana.actor, listReq({ page: { limit: 5, cursor: 'garbage' } })))).toEqual(['cursor']);
    const forged = Buffer.from(JSON.stringify({ s: '-createdAt', k: ['not-a-time', randomUUID()] })).toString('base64url');
    expect(await violationsOf(tasks.list(dana.actor, listReq({ page: { limit: 5, cursor: forged } })))).toEqual(['cursor']);
    const page = await tasks.list(dana.actor, listReq({ page: { limit: 2, cursor: '' } }));
    // A cursor belongs to its sort.
    expect(await violationsOf(tasks.list(dana.actor, listReq({ sort: 'dueAt', page: { limit: 2, cursor: page.nextCursor } })))).toEqual(['cursor']);
  });
});

describe('cursor pagination', () => {
  it.each(['createdAt', '-createdAt', 'dueAt', '-priority'])(
    'sort %s: no gaps or repeats while tasks are inserted between pages',
    async (sort) => {
      const [owner, other] = await Promise.all([stores.user('developer'), stores.user('developer')]);
      const priorities = ['low', 'medium', 'high', 'urgent'];
      const original: string[] = [];
      for (let i = 0; i < 23; i++) {
        // Some share a due date and a priority (ties broken by the later keys), some have none.
        const t = await create(i % 3 === 0 ? other : owner, {
          title: `p${i}`,
          priority: priorities[i % 4],
          dueAt: i % 5 === 0 ? '' : `2031-01-0${1 + (i % 4)}T00:00:00Z`,
          assigneeId: i % 3 === 0 ? owner.id : '',
        });
        original.push(t.id);
      }
      const seen: string[] = [];
      let cursor = '';
      let pages = 0;
      do {
        const page = await tasks.list(owner.actor, listReq({ sort, page: { limit: 5, cursor } }));
        seen.push(...page.items.map((t) => t.id));
        cursor = page.nextCursor;
        pages += 1;
        // Inserted mid-walk: they may or may not show up on later pages, but must not shift others.
        await create(owner, { title: `new${pages}`, priority: priorities[pages % 4], dueAt: pages % 2 ? '2031-01-02T00:00:00Z' : '' });
      } while (cursor && pages < 20);
      expect(new Set(seen).size).toBe(seen.length);
      expect(original.filter((id) => !seen.includes(id))).toEqual([]);
      expect(pages).toBeGreaterThanOrEqual(5);
    },
  );
});
