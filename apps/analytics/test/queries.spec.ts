import { status } from '@grpc/grpc-js';
import { CompactionService } from '../src/events/compaction.service';
import { EventStore } from '../src/events/event-store.service';
import { toEventRecord, type IncomingEvent } from '../src/events/event-record';
import type { TestUser } from '@aether/testing';
import { AnalyticsHarness } from './support/analytics-harness';

jest.setTimeout(60_000);

const HOUR = 3_600_000;
const MIN = 60_000;

/**
 * A known history, three days ago (so "overdue" is settled and retention keeps it):
 * user A creates t1, t2, t3 and makes two AI calls; completes t1 (late) and t3 (on time).
 * User B creates t4 (never done) and makes one AI call. One system event has no user.
 */
const base = Math.floor((Date.now() - 3 * 86_400_000) / HOUR) * HOUR;
const at = (ms: number) => new Date(base + ms).toISOString();
/** task-manager's payload: { task } (proto3 JSON of aether.task_manager.v1.Task). */
const task = (id: string, owner: string, dueMs: number, status = 'todo') => ({ task: { id, ownerId: owner, title: id, status, dueAt: at(dueMs) } });
const EVENTS: IncomingEvent[] = [
  { id: 'e1', type: 'task-manager.task.created', subject: 'A', time: at(30_000), data: task('t1', 'A', 60 * MIN) },
  { id: 'e2', type: 'task-manager.task.created', subject: 'A', time: at(70_000), data: task('t2', 'A', 30 * MIN) },
  { id: 'e3', type: 'task-manager.task.created', subject: 'A', time: at(65 * MIN), data: task('t3', 'A', 5 * HOUR) },
  { id: 'e4', type: 'ai-gateway.completion.completed', subject: 'A', time: at(2 * MIN), data: { usage: { promptTokens: 100, completionTokens: 50, costUsd: 0.0015 } } },
  { id: 'e5', type: 'task-manager.task.updated', subject: 'A', time: at(70 * MIN), data: task('t1', 'A', 60 * MIN, 'done') },
  { id: 'e6', type: 'ai-gateway.completion.completed', subject: 'A', time: at(3 * HOUR), data: { usage: { prompt_tokens: 10, completion_tokens: 5, cost_usd: 0.0005 } } },
  { id: 'e7', type: 'task-manager.task.completed', subject: 'A', time: at(4 * HOUR), data: task('t3', 'A', 5 * HOUR, 'done') },
  { id: 'e8', type: 'task-manager.task.created', subject: 'B', time: at(20 * MIN), data: task('t4', 'B', 90 * MIN) },
  { id: 'e9', type: 'ai-gateway.completion.completed', subject: 'B', time: at(HOUR + 59 * MIN + 59_000), data: { usage: { promptTokens: 1000, completionTokens: 1, costUsd: 0.01 } } },
  { id: 'e10', type: 'docker-manager.container.started', time: at(10 * MIN), data: { containerId: 'c1' } },
];

describe('analytics queries over gRPC (FerretDB)', () => {
  const h = new AnalyticsHarness();
  let devA: TestUser;
  let admin: TestUser;

  beforeAll(async () => {
    await h.start({ ANALYTICS_COMPACTION_INTERVAL_MS: '0' });
    // Two batches, as the consumer would write them: the first folded into the rollups, the
    // second still in the tail, so every answer below merges both.
    await h.get(EventStore).storeBatch(EVENTS.slice(0, 5).map((e) => toEventRecord(e)));
    await h.get(CompactionService).compactOnce();
    await h.get(EventStore).storeBatch(EVENTS.slice(5).map((e) => toEventRecord(e)));
    [devA, admin] = await Promise.all([h.identities.user('developer', 'A'), h.identities.user('admin', 'root')]);
  });
  afterAll(() => h.stop());

  const range = { from: at(0), to: at(6 * HOUR) };

  it('summarises a developer’s own activity', async () => {
    const s = await h.call('getSummary', range, devA);
    expect(s).toEqual({
      from: at(0),
      to: at(6 * HOUR),
      totals: { events: '7' },
      byType: {
        'ai-gateway.completion.completed': '2',
        'task-manager.task.completed': '1',
        'task-manager.task.created': '3',
        'task-manager.task.updated': '1',
      },
      // completed: t1 (at 70 min) and t3; overdue: t2 (never done) and t1 (done after its due time).
      tasks: { created: '3', completed: '2', overdue: '2' },
      ai: { requests: '2', promptTokens: '110', completionTokens: '55', costUsd: 0.002 },
    });
  });

  it('is exact at ragged range ends (sub-minute edges come from the raw events)', async () => {
    // [base+60s, base+2h): drops e1 (30 s), keeps e2 (70 s) … e9 (1:59:59 for B, not A's).
    const s = await h.call('getSummary', { from: at(60_000), to: at(2 * HOUR) }, devA);
    expect(s.byType).toEqual({
      'ai-gateway.completion.completed': '1',
      'task-manager.task.created': '2',
      'task-manager.task.updated': '1',
    });
    const b = await h.call('getSummary', { from: at(HOUR + 59 * MIN + 59_000), to: at(HOUR + 59 * MIN + 59_001), userId: 'B' }, admin);
    expect(b.totals.events).toBe('1');
    expect(b.ai).toEqual({ requests: '1', promptTokens: '1000', completionTokens: '1', costUsd: 0.01 });
  });

  it('lets an admin see everyone or one user', async () => {
    const all = await h.call('getSummary', range, admin);
    expect(all.totals.events).toBe('10');
    expect(all.tasks).toEqual({ created: '4', completed: '2', overdue: '3' });
    expect(all.ai.promptTokens).toBe('1110');
    const b = await h.call('getSummary', { ...range, userId: 'B' }, admin);
    expect(b.totals.events).toBe('2');
    expect(b.tasks).toEqual({ created: '1', completed: '0', overdue: '1' });
  });

  it('refuses a developer asking for someone else (403), allows asking for themselves', async () => {
    await expect(h.call('getSummary', { ...range, userId: 'B' }, devA)).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    await expect(h.call('getTimeseries', { ...range, type: 'x.y.z', interval: 'hour', userId: 'B' }, devA)).rejects.toMatchObject({
      code: status.PERMISSION_DENIED,
    });
    const self = await h.call('getSummary', { ...range, userId: 'A' }, devA);
    expect(self.totals.events).toBe('7');
    const other = await h.call('getSummary', range, await h.identities.user('developer', 'nobody'));
    expect(other.totals.events).toBe('0');
    expect(other.byType).toEqual({});
  });

  it('answers a time series with empty buckets as 0', async () => {
    const hourly = await h.call('getTimeseries', { ...range, type: 'task-manager.task.created', interval: 'hour' }, devA);
    expect(hourly.interval).toBe('hour');
    expect(hourly.points).toEqual([
      { t: at(0), count: '2' },
      { t: at(HOUR), count: '1' },
      { t: at(2 * HOUR), count: '0' },
      { t: at(3 * HOUR), count: '0' },
      { t: at(4 * HOUR), count: '0' },
      { t: at(5 * HOUR), count: '0' },
    ]);
    const minutes = await h.call(
      'getTimeseries',
      { type: 'task-manager.task.created', interval: 'minute', from: at(30_000), to: at(4 * MIN) },
      admin,
    );
    expect(minutes.points.map((p: { count: string }) => p.count)).toEqual(['1', '1', '0', '0']);
    const daily = await h.call('getTimeseries', { ...range, type: 'task-manager.task.created', interval: 'day' }, admin);
    expect(daily.points.reduce((n: number, p: { count: string }) => n + Number(p.count), 0)).toBe(4);
  });

  it('rejects bad ranges and parameters with INVALID_ARGUMENT', async () => {
    const bad = [
      ['getSummary', { from: at(HOUR), to: at(0) }],
      ['getSummary', { from: 'yesterday' }],
      ['getTimeseries', { type: 'task-manager.task.created', interval: 'HOUR' }],
      ['getTimeseries', { type: '', interval: 'hour' }],
      ['getTimeseries', { type: 'a.b.c', interval: 'minute', from: at(0), to: at(30 * 24 * HOUR) }],
      ['listEvents', { page: { limit: 101 } }],
      ['listEvents', { page: { cursor: 'not-a-cursor' } }],
    ] as const;
    for (const [method, req] of bad) {
      await expect(h.call(method, req, admin)).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    }
  });

  it('refuses every RPC without a valid access token (app-wide guard on the gRPC server)', async () => {
    for (const method of ['getSummary', 'getTimeseries', 'listEvents'] as const) {
      await expect(h.call(method, range, null)).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    }
  });

  it('lists raw events newest first with cursor pages, for admins only', async () => {
    await expect(h.call('listEvents', range, devA)).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    const seen: string[] = [];
    let cursor = '';
    do {
      const page = await h.call('listEvents', { ...range, page: { limit: 3, cursor } }, admin);
      seen.push(...page.items.map((e: { id: string }) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    const expected = [...EVENTS].sort((a, b) => String(b.time).localeCompare(String(a.time))).map((e) => e.id);
    expect(seen).toEqual(expected);
    const onlyAi = await h.call('listEvents', { ...range, type: 'ai-gateway.completion.completed' }, admin);
    expect(onlyAi.items.map((e: { id: string }) => e.id)).toEqual(['e6', 'e9', 'e4']);
    expect(JSON.parse(onlyAi.items[0].dataJson)).toEqual({ usage: { prompt_tokens: 10, completion_tokens: 5, cost_usd: 0.0005 } });
    expect(onlyAi.items[0]).toMatchObject({ userId: 'A', subject: 'A', time: at(3 * HOUR) });
  });
});
