import type { taskManagerV1 } from '@aether/contracts';
import { DueSoonReminder } from '../src/reminders/due-soon-reminder.service';
import { TasksService } from '../src/tasks/tasks.service';
import type { TaskManagerUser } from './support/task-manager-user';
import { startTaskManager, TestStores, type StartedApp } from './support/task-manager-app';

const stores = new TestStores();
let tm: StartedApp;
let tasks: TasksService;
let reminder: DueSoonReminder;
let alice: TaskManagerUser;

beforeAll(async () => {
  await stores.start();
  // Small batches so the test also covers the "more than one batch" path.
  tm = await startTaskManager(stores, { TASK_REMINDER_WINDOW_SECONDS: '3600', REMINDER_BATCH_SIZE: '7' });
  tasks = tm.get(TasksService);
  reminder = tm.get(DueSoonReminder);
  alice = await stores.user('developer');
});

afterAll(async () => {
  await tm?.close();
  await stores.stop();
});

const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();
const create = (req: Partial<taskManagerV1.CreateTaskRequest>) =>
  tasks.create(alice.actor, { title: 'r', description: '', priority: '', labels: [], dueAt: '', assigneeId: '', ...req });

async function dueSoonEvents(): Promise<Map<string, number>> {
  const rows: { id: string; n: number }[] = await tm.db.query(
    `SELECT payload->'data'->'task'->>'id' AS id, count(*)::int AS n FROM outbox_events
      WHERE type = 'task-manager.task.due_soon' GROUP BY 1`,
  );
  return new Map(rows.map((r) => [r.id, r.n]));
}

it('sends one due_soon event per open task due within the window, and again only after dueAt changes', async () => {
  const soon = await create({ title: 'soon', dueAt: inMinutes(10) });
  const later = await create({ title: 'later', dueAt: inMinutes(120) });
  const doneSoon = await create({ title: 'done', dueAt: inMinutes(5) });
  await tasks.update(alice.actor, { id: doneSoon.id, expectedVersion: 0, status: 'done', labels: undefined });
  const overdue = await create({ title: 'overdue', dueAt: inMinutes(-5) });
  await create({ title: 'undated' });

  expect(await reminder.runDue()).toBe(1);
  expect(await reminder.runDue()).toBe(0);
  let events = await dueSoonEvents();
  expect([...events.entries()]).toEqual([[soon.id, 1]]);
  const [row] = await tm.db.query(`SELECT subject, payload FROM outbox_events WHERE type = 'task-manager.task.due_soon'`);
  expect(row.subject).toBe(alice.id);
  expect(row.payload.data).toMatchObject({ task: { id: soon.id, title: 'soon', ownerId: alice.id } });
  expect(row.payload.data.dueInSeconds).toBeGreaterThan(500);

  // Moving the due date re-arms the reminder; other edits do not.
  await tasks.update(alice.actor, { id: later.id, expectedVersion: 0, dueAt: inMinutes(20), labels: undefined });
  await tasks.update(alice.actor, { id: soon.id, expectedVersion: 0, title: 'soon!', labels: undefined });
  expect(await reminder.runDue()).toBe(1);
  await tasks.update(alice.actor, { id: soon.id, expectedVersion: 0, dueAt: inMinutes(30), labels: undefined });
  expect(await reminder.runDue()).toBe(1);
  events = await dueSoonEvents();
  expect(events.get(soon.id)).toBe(2);
  expect(events.get(later.id)).toBe(1);
  expect(events.has(doneSoon.id)).toBe(false);
  expect(events.has(overdue.id)).toBe(false);
});

it('two reminder passes racing each other send exactly one event per task', async () => {
  const made = await Promise.all(Array.from({ length: 30 }, (_, i) => create({ title: `bulk${i}`, dueAt: inMinutes(1 + i) })));
  const other = await startTaskManager(stores, { TASK_REMINDER_WINDOW_SECONDS: '3600', REMINDER_BATCH_SIZE: '7' });
  try {
    const [a, b] = await Promise.all([reminder.runDue(), other.get(DueSoonReminder).runDue()]);
    expect(a + b).toBe(30);
  } finally {
    await other.close();
  }
  const events = await dueSoonEvents();
  expect(made.map((t) => events.get(t.id))).toEqual(made.map(() => 1));
});
