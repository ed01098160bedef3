import {
  CompletionCompletedEvent,
  ContainerDiedEvent,
  GithubWebhookReceivedEvent,
  LoginFailedEvent,
  TaskCreatedEvent,
  type taskManagerV1,
} from '@aether/contracts';
import { buildEvent, CloudEvent } from './cloud-event';
import { InvalidEventError } from './errors';
import { decodeEvent, decodeEventAs, encodeEvent } from './typed-events';

const task: taskManagerV1.Task = {
  id: '7d1f4a52-7a4c-4d43-9a43-1e3c6c1f0b0a',
  title: 'Ship it',
  description: '',
  status: 'todo',
  priority: 'high',
  labels: ['release'],
  dueAt: '2030-01-01T09:00:00.000Z',
  assigneeId: '',
  ownerId: 'user-1',
  createdAt: '2029-12-01T09:00:00.000Z',
  updatedAt: '2029-12-01T09:00:00.000Z',
  completedAt: '',
  version: 1,
  scheduleId: '',
};

/** What a consumer receives: the envelope as parsed from the wire. */
function onTheWire(type: string, data: unknown, subject?: string): CloudEvent<unknown> {
  const source = type.split('.')[0];
  return new CloudEvent<unknown>(JSON.parse(JSON.stringify(buildEvent({ source, type, data, subject }))));
}

describe('encodeEvent', () => {
  it('serialises the payload with the generated codec (proto3 JSON: camelCase, defaults left out) and takes the type from the definition', () => {
    const encoded = encodeEvent(TaskCreatedEvent, { task }, { subject: 'user-1' });
    expect(encoded.type).toBe('task-manager.task.created');
    expect(encoded.subject).toBe('user-1');
    expect(encoded.data).toEqual({
      task: {
        id: task.id,
        title: 'Ship it',
        status: 'todo',
        priority: 'high',
        labels: ['release'],
        dueAt: '2030-01-01T09:00:00.000Z',
        ownerId: 'user-1',
        createdAt: task.createdAt,
        updatedAt: task.updatedAt,
        version: 1,
      },
    });
  });

  it('never lets fields outside the message through (an entity passed by mistake leaks nothing)', () => {
    const entity = { ...task, passwordHash: 'secret', remindedAt: new Date() };
    const encoded = encodeEvent(TaskCreatedEvent, { task: entity }, { subject: 'user-1' });
    expect(JSON.stringify(encoded.data)).not.toContain('secret');
    expect((encoded.data as { task: Record<string, unknown> }).task).not.toHaveProperty('remindedAt');
  });

  it('enforces the subject rule of the definition', () => {
    // @ts-expect-error a required subject cannot be left out
    expect(() => encodeEvent(TaskCreatedEvent, { task }, {})).toThrow(InvalidEventError);
    expect(() => encodeEvent(TaskCreatedEvent, { task }, { subject: '' })).toThrow(/needs a subject/);
    expect(encodeEvent(LoginFailedEvent, { email: 'a@b.c', failures: 1, locked: false, ip: '' }, { subject: null }).subject).toBeUndefined();
    const died = { container: undefined, exitCode: 137, oomKilled: true };
    // @ts-expect-error an event that concerns no user takes no subject
    expect(() => encodeEvent(ContainerDiedEvent, died, { subject: 'user-1' })).toThrow(/takes no subject/);
    expect(encodeEvent(ContainerDiedEvent, died, undefined).data).toEqual({ exitCode: 137, oomKilled: true });
  });

  it('needs the concrete type of a family member, and checks it', () => {
    const hook = { connectionId: 'c1', deliveryId: 'd1', event: 'pull_request', action: 'opened', repository: 'o/r', sender: 'ada', payloadJson: '{"action":"opened","number":7}', receivedAt: '2030-01-01T00:00:00.000Z' };
    expect(encodeEvent(GithubWebhookReceivedEvent, hook, { type: 'integration-hub.github.pull_request' }).type).toBe('integration-hub.github.pull_request');
    // @ts-expect-error a family member needs its concrete type
    expect(() => encodeEvent(GithubWebhookReceivedEvent, hook, {})).toThrow(/is a family/);
    // @ts-expect-error the type must be a member of the family
    expect(() => encodeEvent(GithubWebhookReceivedEvent, hook, { type: 'integration-hub.slack.message' })).toThrow(InvalidEventError);
    expect(() => encodeEvent(GithubWebhookReceivedEvent, hook, { type: 'integration-hub.github.{event}' })).toThrow(InvalidEventError);
    expect(() => encodeEvent(TaskCreatedEvent, { task }, { subject: 'u', type: 'task-manager.task.deleted' as never })).toThrow(/not the type/);
  });
});

describe('decodeEvent', () => {
  it('decodes a catalogued event into its typed payload (round trip through the wire JSON)', () => {
    const encoded = encodeEvent(TaskCreatedEvent, { task }, { subject: 'user-1' });
    const event = decodeEvent(onTheWire(encoded.type, encoded.data, encoded.subject));
    expect(event?.type).toBe('task-manager.task.created');
    if (event?.type !== 'task-manager.task.created') throw new Error('narrowing failed');
    // Narrowed by the discriminated union: data is a TaskCreated, every field present again.
    expect(event.data.task).toEqual(task);
    expect(event.subject).toBe('user-1');
  });

  it('reads snake_case names and numbers sent as strings (proto3 JSON parsers accept both)', () => {
    const event = decodeEvent(
      onTheWire('ai-gateway.completion.completed', { request_id: 'r1', usage: { prompt_tokens: '12', completionTokens: 3, cost_usd: 0.5, cache_hit: true }, status: 'ok' }, 'user-2'),
    );
    if (event?.type !== 'ai-gateway.completion.completed') throw new Error('not decoded');
    expect(event.data.requestId).toBe('r1');
    expect(event.data.usage).toMatchObject({ promptTokens: 12, completionTokens: 3, costUsd: 0.5, cacheHit: true, totalTokens: 0 });
    expect(event.data.alias).toBe('');
  });

  it('decodes a family member by its definition', () => {
    const event = decodeEvent(onTheWire('integration-hub.github.push', { event: 'push', payloadJson: '{"ref":"refs/heads/main"}' }));
    expect(event?.type).toBe('integration-hub.github.push');
    if (!event || event.type === 'task-manager.task.created') throw new Error('not decoded');
    expect(event.data).toMatchObject({ event: 'push', payloadJson: '{"ref":"refs/heads/main"}', connectionId: '' });
  });

  it('answers undefined for a type outside the catalog and rejects data that is not an object', () => {
    expect(decodeEvent(onTheWire('task-manager.task.cancelled', { task: {} }, 'u'))).toBeUndefined();
    expect(() => decodeEvent(onTheWire('task-manager.task.created', 'text', 'u'))).toThrow(InvalidEventError);
    expect(() => decodeEvent(onTheWire('task-manager.task.created', [1, 2], 'u'))).toThrow(InvalidEventError);
  });

  it('decodeEventAs refuses an event of another type', () => {
    const event = onTheWire('task-manager.task.created', { task: {} }, 'u');
    expect(() => decodeEventAs(CompletionCompletedEvent, event)).toThrow(/not a ai-gateway/);
  });
});
