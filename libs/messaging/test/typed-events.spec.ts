import {
  TaskCreatedEvent,
  TaskDeletedEvent,
  TaskUpdatedEvent,
  type taskManagerV1,
} from '@aether/contracts';
import { createTempDatabase, createTempVhost, TempResource, waitFor } from '@aether/testing';
import { Injectable } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import * as amqplib from 'amqplib';
import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import {
  ConsumeContext,
  EventConsumer,
  EventConsumerRegistry,
  EventPublisher,
  HEADER_DEAD_LETTER_REASON,
  InvalidEventError,
  MessagingModule,
  OUTBOX_MIGRATIONS,
  OutboxEvent,
  OutboxModule,
  OutboxService,
  type TypedCloudEvent,
  type TypedEventHandler,
} from '../src';
import { drain } from './support/fixtures';

type TaskEvents = typeof TaskCreatedEvent | typeof TaskDeletedEvent;
const received: Array<{ event: TypedCloudEvent<TaskEvents>; ctx: ConsumeContext }> = [];

/** A typed consumer found through DiscoveryService: bound to exactly its two events. */
@EventConsumer({ queue: 'task-manager.typed', events: [TaskCreatedEvent, TaskDeletedEvent], retry: { delaysMs: [100], maxAttempts: 2 }, deduplicate: false })
@Injectable()
class TaskEventsHandler implements TypedEventHandler<TaskEvents> {
  async handle(event: TypedCloudEvent<TaskEvents>, ctx: ConsumeContext): Promise<void> {
    received.push({ event, ctx });
  }
}

function taskMessage(overrides: Partial<taskManagerV1.Task> = {}): taskManagerV1.Task {
  return {
    id: randomUUID(),
    title: 'Typed',
    description: '',
    status: 'todo',
    priority: 'medium',
    labels: [],
    dueAt: '',
    assigneeId: '',
    ownerId: 'owner-1',
    createdAt: '2030-01-01T00:00:00.000Z',
    updatedAt: '2030-01-01T00:00:00.000Z',
    completedAt: '',
    version: 1,
    scheduleId: '',
    ...overrides,
  };
}

describe('typed events through RabbitMQ and the outbox', () => {
  let db: TempResource;
  let vhost: TempResource;
  let moduleRef: TestingModule;
  let raw: amqplib.ChannelModel;
  let ch: amqplib.Channel;

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTempDatabase('typed_events'), createTempVhost('typed_events')]);
    moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url, entities: [OutboxEvent], migrations: OUTBOX_MIGRATIONS, migrationsRun: true }),
        // The catalog's task-manager events may only be published by task-manager.
        MessagingModule.forRoot({ url: vhost.url, source: 'task-manager', metricsRegistry: new Registry() }),
        OutboxModule.forRoot({ pollIntervalMs: 200 }),
      ],
      providers: [TaskEventsHandler],
    }).compile();
    await moduleRef.init();
    await moduleRef.get(EventConsumerRegistry).get('task-manager.typed')!.ready();
    raw = await amqplib.connect(vhost.url);
    ch = await raw.createChannel();
  });

  afterAll(async () => {
    await moduleRef?.close();
    await raw?.close();
    await Promise.allSettled([db?.drop(), vhost?.drop()]);
  });

  beforeEach(() => {
    received.length = 0;
  });

  it('publishes a typed payload and hands the consumer the decoded message, the owner as subject', async () => {
    const task = taskMessage({ labels: ['a', 'b'], dueAt: '2030-02-01T00:00:00.000Z' });
    const sent = await moduleRef.get(EventPublisher).publish(TaskCreatedEvent, { task }, { subject: 'owner-1' });
    expect(sent.type).toBe('task-manager.task.created');
    await waitFor(() => received.length === 1, { timeoutMs: 5000, what: 'the typed event' });
    const { event, ctx } = received[0];
    expect(ctx.routingKey).toBe('task-manager.task.created');
    expect(event).toMatchObject({ id: sent.id, type: 'task-manager.task.created', source: 'task-manager', subject: 'owner-1' });
    if (event.type !== 'task-manager.task.created') throw new Error('wrong type');
    // Every field back, the defaults ('' and []) included, though the wire left them out.
    expect(event.data.task).toEqual(task);
  });

  it('binds the queue to its events only: an event it did not ask for never arrives', async () => {
    const publisher = moduleRef.get(EventPublisher);
    await publisher.publish(TaskUpdatedEvent, { task: taskMessage(), changes: ['title'] }, { subject: 'owner-1' });
    const deleted = await publisher.publish(TaskDeletedEvent, { task: taskMessage({ title: 'gone' }) }, { subject: 'owner-1' });
    await waitFor(() => received.length >= 1, { timeoutMs: 5000, what: 'the deleted event' });
    await new Promise((r) => setTimeout(r, 300));
    expect(received.map((r) => r.event.id)).toEqual([deleted.id]);
    expect(received[0].event.type === 'task-manager.task.deleted' && received[0].event.data.task?.title).toBe('gone');
  });

  it('writes a typed event through the outbox in the caller transaction; the relay delivers it decoded', async () => {
    const task = taskMessage({ title: 'via outbox' });
    const ds = moduleRef.get(DataSource);
    const outbox = moduleRef.get(OutboxService);
    const written = await ds.transaction((m) => outbox.publish(m, TaskCreatedEvent, { task }, { subject: 'owner-2' }));
    const [row] = await ds.query(`SELECT type, subject, payload FROM outbox_events WHERE id = $1`, [written.id]);
    expect(row).toMatchObject({ type: 'task-manager.task.created', subject: 'owner-2' });
    // Stored as the generated toJSON wrote it: camelCase, no default values, no extra owner copy.
    expect(row.payload.data).toEqual({ task: { id: task.id, title: 'via outbox', status: 'todo', priority: 'medium', ownerId: 'owner-1', createdAt: task.createdAt, updatedAt: task.updatedAt, version: 1 } });
    await waitFor(() => received.some((r) => r.event.id === written.id), { timeoutMs: 5000, what: 'the relayed event' });
    const got = received.find((r) => r.event.id === written.id)!.event;
    expect(got.type === 'task-manager.task.created' && got.data.task).toEqual(task);

    // A publish that breaks the definition's subject rule writes nothing and rolls back nothing else.
    const before = await ds.query(`SELECT count(*)::int AS n FROM outbox_events`);
    await expect(
      ds.transaction((m) => outbox.publish(m, TaskCreatedEvent, { task }, { subject: '' })),
    ).rejects.toBeInstanceOf(InvalidEventError);
    expect(await ds.query(`SELECT count(*)::int AS n FROM outbox_events`)).toEqual(before);
  });

  it('dead-letters at once an event whose data does not decode, or that is none of its events', async () => {
    const envelope = (type: string, data: unknown) =>
      Buffer.from(JSON.stringify({ specversion: '1.0', id: randomUUID(), source: 'task-manager', type, time: new Date().toISOString(), datacontenttype: 'application/json', data }));
    ch.publish('aether.events', 'task-manager.task.created', envelope('task-manager.task.created', 'not an object'));
    // Straight into the queue (a stray binding would do the same): a type the consumer does not take.
    ch.sendToQueue('task-manager.typed', envelope('task-manager.task.updated', { task: {} }));
    const dlq: amqplib.GetMessage[] = [];
    await waitFor(async () => (dlq.push(...(await drain(ch, 'task-manager.typed.dlq'))), dlq.length === 2), { timeoutMs: 5000, what: 'two dead letters' });
    expect(dlq.map((m) => m.properties.headers?.[HEADER_DEAD_LETTER_REASON])).toEqual(['rejected', 'rejected']);
    expect(dlq.map((m) => String(m.properties.headers?.['x-last-error'])).join(' ')).toMatch(/data is not a JSON object[\s\S]*takes task-manager\.task\.created, task-manager\.task\.deleted, not task-manager\.task\.updated/);
    expect(received).toEqual([]);
  });

  it('refuses at registration a consumer that names neither events nor patterns, or both', () => {
    const consumers = moduleRef.get(EventConsumerRegistry);
    expect(() => consumers.register({ queue: 'task-manager.empty', events: [] }, async () => undefined)).toThrow(/at least one event/);
    expect(() =>
      consumers.register({ queue: 'task-manager.both', events: [TaskCreatedEvent], patterns: ['#'] } as never, async () => undefined),
    ).toThrow(/not both/);
  });
});
