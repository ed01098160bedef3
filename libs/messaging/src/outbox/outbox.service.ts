import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { buildEvent, CloudEvent } from '../cloud-event';
import { MESSAGING_OPTIONS, MessagingModuleOptions } from '../messaging.options';
import { injectTraceContext } from '../trace-context';
import { encodeEvent, type AnyEventDefinition, type TypedPublishArgs } from '../typed-events';
import { OutboxEvent } from './outbox-event.entity';
import type { EventPayload } from '@aether/contracts';

export interface EnqueueOptions {
  subject?: string;
  id?: string;
  time?: Date | string;
}

/**
 * Writes events into the caller's transaction; the OutboxRelay publishes them after commit.
 *
 *   await dataSource.transaction(async (m) => {
 *     const task = await m.save(TaskEntity, ...);
 *     await outbox.publish(m, TaskCreatedEvent, { task: toTaskMessage(task) }, { subject: task.ownerId });
 *   });
 */
@Injectable()
export class OutboxService {
  constructor(@Inject(MESSAGING_OPTIONS) private readonly options: MessagingModuleOptions) {}

  /**
   * Writes an event of the catalog: the type comes from the definition, the payload is
   * type-checked and serialised by its generated codec (proto3 JSON), the subject follows the
   * definition's rule (InvalidEventError, before anything is written, when it does not).
   */
  async publish<D extends AnyEventDefinition>(manager: EntityManager, event: D, data: EventPayload<D>, ...opts: TypedPublishArgs<D>): Promise<CloudEvent<unknown>> {
    const encoded = encodeEvent(event, data, opts[0]);
    return this.enqueue(manager, encoded.type, encoded.data, { subject: encoded.subject, id: encoded.id, time: encoded.time });
  }

  /** Untyped: `data` as event `type`, for events outside the catalog (tests, tools). Services use publish(). */
  async enqueue<T>(manager: EntityManager, type: string, data: T, opts: EnqueueOptions = {}): Promise<CloudEvent<T>> {
    // The trace context is captured now, in the request that caused the event; the relay publishes later.
    const event = buildEvent({ source: this.options.source, type, data, subject: opts.subject, id: opts.id, time: opts.time, trace: injectTraceContext() });
    await manager.insert(OutboxEvent, {
      id: event.id,
      type: event.type,
      subject: event.subject ?? null,
      payload: event.toJSON() as OutboxEvent['payload'] & object,
    });
    return event;
  }
}
