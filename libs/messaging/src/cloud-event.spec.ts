import { assertEventType, buildEvent, parseEvent } from './cloud-event';
import { InvalidEventError } from './errors';

describe('CloudEvents envelope', () => {
  it('builds a 1.0 JSON event with the platform attributes', () => {
    const e = buildEvent({
      source: 'task-manager',
      type: 'task-manager.task.created',
      data: { title: 'x' },
      subject: 'user-1',
      time: new Date('2025-01-02T03:04:05.000Z'),
      trace: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    });
    const json = JSON.parse(JSON.stringify(e));
    expect(json).toMatchObject({
      specversion: '1.0',
      source: 'task-manager',
      type: 'task-manager.task.created',
      subject: 'user-1',
      time: '2025-01-02T03:04:05.000Z',
      datacontenttype: 'application/json',
      data: { title: 'x' },
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    expect(json.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(parseEvent(Buffer.from(JSON.stringify(e))).id).toBe(json.id);
  });

  it('rejects types that are not <app>.<entity>.<verb> of the publishing app', () => {
    expect(() => assertEventType('task-manager', 'task-manager.task')).toThrow(InvalidEventError);
    expect(() => assertEventType('task-manager', 'security.user.created')).toThrow(/must start with/);
    expect(() => assertEventType('task-manager', 'Task-manager.task.created')).toThrow(InvalidEventError);
    expect(() => assertEventType('security', 'security.api_key.revoked')).not.toThrow();
  });

  it.each([
    ['not json', '{oops'],
    ['an array', '[1]'],
    ['missing id', JSON.stringify({ specversion: '1.0', source: 'a', type: 'a.b.c' })],
    ['wrong specversion', JSON.stringify({ specversion: '0.3', id: '1', source: 'a', type: 'a.b.c' })],
    ['bad time', JSON.stringify({ specversion: '1.0', id: '1', source: 'a', type: 'a.b.c', time: 'yesterday' })],
  ])('refuses %s as poison', (_, body) => {
    expect(() => parseEvent(Buffer.from(body))).toThrow(InvalidEventError);
  });
});
