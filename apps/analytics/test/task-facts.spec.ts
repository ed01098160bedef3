import { randomUUID } from 'node:crypto';
import { AnalyticsCollections } from '../src/events/analytics-collections';
import { toEventRecord, type IncomingEvent } from '../src/events/event-record';
import { EventStore } from '../src/events/event-store.service';
import { SummaryService } from '../src/queries/summary.service';
import { AnalyticsHarness } from './support/analytics-harness';

jest.setTimeout(60_000);

const MIN = 60_000;

/** A task in the REST shape task-manager puts into `data.task` (tasks.service.ts, taskJson). */
function taskJson(id: string, ownerId: string, status: string, dueAt: Date | null, completedAt: Date | null = null) {
  return {
    id, title: id, description: null, status, priority: 'medium', labels: [], dueAt: dueAt?.toISOString() ?? null, assigneeId: null, ownerId, scheduleId: null,
    completedAt: completedAt?.toISOString() ?? null, version: 1,
  };
}

/** An event as task-manager publishes it: subject = owner, data = { task, ownerId, changes? }. */
function taskEvent(verb: string, time: Date, task: ReturnType<typeof taskJson>, extra: Record<string, unknown> = {}): IncomingEvent {
  return { id: randomUUID(), type: `task-manager.task.${verb}`, subject: task.ownerId, time: time.toISOString(), data: { task, ownerId: task.ownerId, ...extra } };
}

/**
 * Task facts written with the events that carry them. FerretDB 1.24 executes an "unordered"
 * update batch like an ordered one: it stops at the first failed statement (E11000 from a
 * conditional upsert that is a deliberate no-op) and silently skips the rest, so the facts of
 * every later task in the batch were lost.
 */
describe('analytics task facts (FerretDB)', () => {
  const h = new AnalyticsHarness();
  let store: EventStore;
  let db: AnalyticsCollections;

  beforeAll(async () => {
    await h.start();
    store = h.get(EventStore);
    db = h.get(AnalyticsCollections);
  });
  afterAll(() => h.stop());

  it('records every task of a batch after a completion that task-manager reports twice (updated + completed)', async () => {
    const owner = randomUUID();
    const t0 = new Date(Date.now() - 60 * MIN);
    const done = taskJson(randomUUID(), owner, 'done', null);
    const late = taskJson(randomUUID(), owner, 'todo', new Date(t0.getTime() + 10 * MIN));
    // As tasks.service.ts publishes a completion: `updated` and `completed` with the same data.
    const completion = { changes: ['status'] };
    await store.storeBatch(
      [
        taskEvent('created', t0, { ...done, status: 'todo' }),
        taskEvent('updated', new Date(t0.getTime() + MIN), done, completion),
        taskEvent('completed', new Date(t0.getTime() + MIN), done, completion),
        taskEvent('created', new Date(t0.getTime() + 2 * MIN), late),
      ].map((e) => toEventRecord(e)),
    );
    expect(await db.tasks.findOne({ _id: late.id })).toMatchObject({ dueAt: new Date(late.dueAt!), userId: owner });
    const s = await h.get(SummaryService).summarize({ from: new Date(t0.getTime() - MIN), to: new Date() }, { userId: owner });
    expect(s.tasks).toEqual({ created: 2, completed: 1, overdue: 1 });
  });

  it('records the tasks behind a redelivered completion in the next batch', async () => {
    const owner = randomUUID();
    const t0 = new Date(Date.now() - 60 * MIN);
    const done = taskJson(randomUUID(), owner, 'done', null, t0);
    const completed = taskEvent('completed', t0, done);
    await store.storeBatch([toEventRecord(completed)]);

    const dueSoon = taskJson(randomUUID(), owner, 'todo', new Date(t0.getTime() + 30 * MIN));
    const doneToo = taskJson(randomUUID(), owner, 'done', null, new Date(t0.getTime() + 25 * MIN));
    const result = await store.storeBatch(
      [completed, taskEvent('due_soon', new Date(t0.getTime() + 20 * MIN), dueSoon, { dueInSeconds: 600 }), taskEvent('completed', new Date(t0.getTime() + 25 * MIN), doneToo)].map((e) =>
        toEventRecord(e),
      ),
    );
    expect(result.duplicates).toEqual([completed.id]);
    expect(await db.tasks.findOne({ _id: dueSoon.id })).toMatchObject({ dueAt: new Date(dueSoon.dueAt!) });
    expect(await db.tasks.findOne({ _id: doneToo.id })).toMatchObject({ completedAt: new Date(doneToo.completedAt!) });
    const s = await h.get(SummaryService).summarize({ from: new Date(t0.getTime() - MIN), to: new Date() }, { userId: owner });
    expect(s.tasks).toEqual({ created: 0, completed: 2, overdue: 1 });
  });

  it('dates a completion by the task’s completedAt: editing a task done long ago is no completion now', async () => {
    const owner = randomUUID();
    const longAgo = new Date(Date.now() - 40 * 86_400_000); // before retention: analytics no longer knows the task
    const dueThen = new Date(longAgo.getTime() + 60 * MIN);
    const old = taskJson(randomUUID(), owner, 'done', dueThen, longAgo);
    await store.storeBatch([toEventRecord(taskEvent('updated', new Date(), old, { changes: ['title'] }))]);
    const lastDay = { from: new Date(Date.now() - 86_400_000), to: new Date(Date.now() + 1000) };
    expect((await h.get(SummaryService).summarize(lastDay, { userId: owner })).tasks.completed).toBe(0);
    expect(await db.tasks.findOne({ _id: old.id })).toMatchObject({ completedAt: longAgo, closedAt: longAgo });
  });
});
