import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { buildEvent, CloudEvent } from '../cloud-event';
import { MESSAGING_OPTIONS, MessagingModuleOptions } from '../messaging.options';
import { injectTraceContext } from '../trace-context';
import { OutboxEvent } from './outbox-event.entity';

export interface EnqueueOptions {
  subject?: string;
  id?: string;
}

/**
 * Writes events into the caller's transaction; the OutboxRelay publishes them after commit.
 *
 *   await dataSource.transaction(async (m) => {
 *     const task = await m.save(TaskEntity, ...);
 *     await outbox.enqueue(m, 'task-manager.task.created', toEventData(task), { subject: userId });
 *   });
 */
@Injectable()
export class OutboxService {
  constructor(@Inject(MESSAGING_OPTIONS) private readonly options: MessagingModuleOptions) {}

  async enqueue<T>(manager: EntityManager, type: string, data: T, opts: EnqueueOptions = {}): Promise<CloudEvent<T>> {
    // The trace context is captured now, in the request that caused the event; the relay publishes later.
    const event = buildEvent({ source: this.options.source, type, data, subject: opts.subject, id: opts.id, trace: injectTraceContext() });
    await manager.insert(OutboxEvent, {
      id: event.id,
      type: event.type,
      subject: event.subject ?? null,
      payload: event.toJSON() as OutboxEvent['payload'] & object,
    });
    return event;
  }
}
