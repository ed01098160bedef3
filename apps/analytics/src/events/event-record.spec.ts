import { toEventRecord } from './event-record';

const at = '2026-01-05T10:00:00.000Z';

describe('toEventRecord reads the typed payloads of the event catalog only', () => {
  it('reads AI usage from ai-gateway.completion.completed (proto3 JSON, either name style)', () => {
    const camel = toEventRecord({ id: '1', type: 'ai-gateway.completion.completed', subject: 'u', time: at, data: { usage: { promptTokens: 12, completionTokens: 3, costUsd: 0.002 } } });
    expect(camel.doc).toMatchObject({ userId: 'u', promptTokens: 12, completionTokens: 3, costUsd: 0.002 });
    const snake = toEventRecord({ id: '2', type: 'ai-gateway.completion.completed', subject: 'u', time: at, data: { usage: { prompt_tokens: 7, completion_tokens: 1, cost_usd: 0.5 } } });
    expect(snake.doc).toMatchObject({ promptTokens: 7, completionTokens: 1, costUsd: 0.5 });
  });

  it('guesses nothing: usage outside `usage`, unknown types and non-object data give no figures, and are still stored', () => {
    const flat = toEventRecord({ id: '3', type: 'ai-gateway.completion.completed', subject: 'u', time: at, data: { promptTokens: 99 } });
    expect(flat.doc).toMatchObject({ promptTokens: 0, completionTokens: 0, costUsd: 0 });
    const unknown = toEventRecord({ id: '4', type: 'newapp.thing.happened', subject: 'u', time: at, data: { usage: { promptTokens: 5 } } });
    expect(unknown.doc.promptTokens).toBeUndefined();
    expect(unknown.task).toBeUndefined();
    expect(unknown.doc).toMatchObject({ type: 'newapp.thing.happened', dataJson: JSON.stringify({ usage: { promptTokens: 5 } }) });
    const notObject = toEventRecord({ id: '5', type: 'task-manager.task.created', subject: 'u', time: at, data: 'text' });
    expect(notObject.task).toBeUndefined();
    // A verb no publisher sends is an unknown type like any other.
    expect(toEventRecord({ id: '6', type: 'task-manager.task.cancelled', subject: 'u', time: at, data: { task: { id: 't', status: 'cancelled' } } }).task).toBeUndefined();
  });

  it('attributes an event to its subject only (no user ids fished out of the data)', () => {
    const r = toEventRecord({ id: '7', type: 'rag.document.ingested', time: at, data: { userId: 'someone', ownerId: 'else' } });
    expect(r.doc.userId).toBe('');
  });

  it('reads task facts from the Task of task-manager events', () => {
    const due = '2026-01-06T00:00:00.000Z';
    const created = toEventRecord({ id: '8', type: 'task-manager.task.created', subject: 'o', time: at, data: { task: { id: 't1', ownerId: 'o', status: 'todo', dueAt: due } } });
    expect(created.task).toMatchObject({ taskId: 't1', userId: 'o', dueAt: new Date(due), completed: false, closed: false });
    // No due date: a created task says nothing to record; an update that cleared it says "cleared".
    expect(toEventRecord({ id: '9', type: 'task-manager.task.created', subject: 'o', time: at, data: { task: { id: 't2', status: 'todo' } } }).task?.dueAt).toBeUndefined();
    const cleared = toEventRecord({ id: '10', type: 'task-manager.task.updated', subject: 'o', time: at, data: { task: { id: 't1', status: 'todo' }, changes: ['dueAt'] } });
    expect(cleared.task?.dueAt).toBeNull();
    const cancelled = toEventRecord({ id: '11', type: 'task-manager.task.updated', subject: 'o', time: at, data: { task: { id: 't1', status: 'cancelled' }, changes: ['status'] } });
    expect(cancelled.task).toMatchObject({ completed: false, closed: true, closedAt: new Date(at) });
    const done = toEventRecord({ id: '12', type: 'task-manager.task.completed', subject: 'o', time: at, data: { task: { id: 't1', status: 'done', completedAt: '2026-01-05T09:00:00Z' }, changes: ['status'] } });
    expect(done.task).toMatchObject({ completed: true, closed: true, closedAt: new Date('2026-01-05T09:00:00Z') });
    expect(toEventRecord({ id: '13', type: 'task-manager.task.deleted', subject: 'o', time: at, data: { task: { id: 't1', status: 'todo' } } }).task).toMatchObject({ closed: true, completed: false });
  });
});
