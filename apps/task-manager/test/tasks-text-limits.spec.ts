/**
 * Text and time limits of task and schedule input against real PostgreSQL: what the service lets
 * through must be storable (no NUL, no year the answer cannot print as RFC 3339), and lengths
 * are counted in characters the way the varchar columns count them, not UTF-16 units.
 */
import type { taskManagerV1 } from '@aether/contracts';
import { ValidationError } from '@aether/service-kit';
import { SchedulesService } from '../src/schedules/schedules.service';
import { TasksService } from '../src/tasks/tasks.service';
import type { TaskManagerUser } from './support/task-manager-user';
import { startTaskManager, TestStores, type StartedApp } from './support/task-manager-app';

const stores = new TestStores();
let tm: StartedApp;
let tasks: TasksService;
let schedules: SchedulesService;
let alice: TaskManagerUser;

beforeAll(async () => {
  await stores.start();
  tm = await startTaskManager(stores);
  tasks = tm.get(TasksService);
  schedules = tm.get(SchedulesService);
  alice = await stores.user('developer');
});

afterAll(async () => {
  await tm?.close();
  await stores.stop();
});

const create = (req: Partial<taskManagerV1.CreateTaskRequest>) =>
  tasks.create(alice.actor, { title: 'a task', description: '', priority: '', labels: [], dueAt: '', assigneeId: '', ...req });

const listReq = (req: Partial<taskManagerV1.ListTasksRequest>): taskManagerV1.ListTasksRequest => ({
  page: { limit: 20, cursor: '' },
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

const createSchedule = (req: Partial<taskManagerV1.CreateScheduleRequest>) =>
  schedules.create(alice.actor, {
    name: 'n',
    cron: '0 9 * * *',
    timezone: '',
    task: { title: 't', description: '', priority: '', labels: [], assigneeId: '' },
    ...req,
  });

async function violationsOf(p: Promise<unknown>): Promise<string[]> {
  const err = await p.then(
    () => undefined,
    (e) => e,
  );
  expect(err).toBeInstanceOf(ValidationError);
  return (err as ValidationError).violations.map((v) => v.field);
}

const count = async (table: string) => Number((await tm.db.query(`SELECT count(*) AS n FROM ${table}`))[0].n);

describe('NUL characters are a 400, not a failed insert', () => {
  it('in task fields, list filters, PATCH and schedules; nothing is stored', async () => {
    const [tasksBefore, schedulesBefore] = [await count('tasks'), await count('schedules')];
    expect(await violationsOf(create({ title: 'a\u0000b' }))).toEqual(['title']);
    expect(await violationsOf(create({ description: 'x\u0000' }))).toEqual(['description']);
    expect(await violationsOf(create({ labels: ['ok', 'l\u0000'] }))).toEqual(['labels.1']);
    expect(await violationsOf(tasks.list(alice.actor, listReq({ q: 'a\u0000' })))).toEqual(['q']);
    expect(await violationsOf(tasks.list(alice.actor, listReq({ labels: ['a\u0000'] })))).toEqual(['label.0']);
    expect(await violationsOf(createSchedule({ name: 'n\u0000' }))).toEqual(['name']);
    const template = { title: 't\u0000', description: '', priority: '', labels: [], assigneeId: '' };
    expect(await violationsOf(createSchedule({ task: template }))).toEqual(['task.title']);
    expect([await count('tasks'), await count('schedules')]).toEqual([tasksBefore, schedulesBefore]);

    const t = await create({ title: 'kept' });
    expect(await violationsOf(tasks.update(alice.actor, { id: t.id, expectedVersion: 0, labels: undefined, title: 'x\u0000' }))).toEqual(['title']);
    expect(await tasks.get(alice.actor, t.id)).toMatchObject({ title: 'kept', version: 1 });
  });
});

describe('lengths count characters, as the columns do', () => {
  it('accepts 200 emoji as a title and name and 50 as a label; refuses one more', async () => {
    const t = await create({ title: '😀'.repeat(200), labels: ['🚀'.repeat(50)] });
    expect(await tasks.get(alice.actor, t.id)).toMatchObject({ title: '😀'.repeat(200), labels: ['🚀'.repeat(50)] });
    expect(await violationsOf(create({ title: '😀'.repeat(201), labels: ['🚀'.repeat(51)] }))).toEqual(['title', 'labels.0']);

    const s = await createSchedule({ name: '📅'.repeat(200) });
    expect(s.name).toBe('📅'.repeat(200));
    expect(await violationsOf(createSchedule({ name: '📅'.repeat(201) }))).toEqual(['name']);
  });
});

describe('timestamps stay within four-digit years', () => {
  it('refuses a dueAt or filter the answer could not print as YYYY-MM-DDTHH:mm:ssZ', async () => {
    expect(await violationsOf(create({ dueAt: '9999-12-31T23:59:59-14:00' }))).toEqual(['dueAt']); // year 10000 in UTC
    expect(await violationsOf(create({ dueAt: '0000-06-01T00:00:00Z' }))).toEqual(['dueAt']);
    expect(await violationsOf(tasks.list(alice.actor, listReq({ dueAfter: '9999-12-31T23:00:00-12:00' })))).toEqual(['dueAfter']);
    const edge = await create({ dueAt: '9999-12-31T23:59:59Z' });
    expect(edge.dueAt?.toISOString()).toBe('9999-12-31T23:59:59.000Z');
  });
});
