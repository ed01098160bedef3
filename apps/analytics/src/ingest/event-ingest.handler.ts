import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { EventConsumerRegistry, type CloudEvent, type EventHandler } from '@aether/messaging';
import { MetricsService } from '@aether/service-kit';
import type { Counter } from 'prom-client';
import { AnalyticsEnv } from '../config/analytics.env';
import { toEventRecord, type EventRecord } from '../events/event-record';
import { EventStore } from '../events/event-store.service';
import { MicroBatcher } from './micro-batcher';

export const INGEST_QUEUE = 'analytics.events';

/**
 * Records every platform event: the durable queue `analytics.events` is bound to `#` on
 * `aether.events`. Deliveries are written in batches (MicroBatcher) and each message is acked by
 * the messaging library only after its batch is stored. Redeliveries are harmless: the event id
 * is the primary key, so a second copy is a duplicate, reported as success and counted nowhere.
 * That is why the library's own Redis de-duplication is off (`deduplicate: false`).
 */
@Injectable()
export class EventIngestHandler implements EventHandler, OnModuleInit, OnModuleDestroy {
  private readonly batcher: MicroBatcher<EventRecord>;
  private readonly stored: Counter<'outcome'>;

  constructor(
    private readonly store: EventStore,
    private readonly registry: EventConsumerRegistry,
    private readonly env: AnalyticsEnv,
    metrics: MetricsService,
  ) {
    this.batcher = new MicroBatcher((records) => this.write(records), {
      maxSize: env.ANALYTICS_BATCH_SIZE,
      lingerMs: env.ANALYTICS_BATCH_LINGER_MS,
    });
    this.stored = metrics.counter('analytics_events_stored_total', 'Events written by the ingest consumer', ['outcome']);
  }

  /** Registered here rather than with @EventConsumer because the prefetch comes from the env. */
  onModuleInit(): void {
    this.registry.register(
      { queue: INGEST_QUEUE, patterns: ['#'], deduplicate: false, prefetch: this.env.ANALYTICS_PREFETCH },
      (event) => this.handle(event),
    );
  }

  async handle(event: CloudEvent<unknown>): Promise<void> {
    await this.batcher.add(toEventRecord(event));
  }

  private async write(records: EventRecord[]): Promise<Array<Error | undefined>> {
    const result = await this.store.storeBatch(records);
    this.stored.inc({ outcome: 'inserted' }, result.inserted.length);
    if (result.duplicates.length) this.stored.inc({ outcome: 'duplicate' }, result.duplicates.length);
    if (result.failed.size) this.stored.inc({ outcome: 'failed' }, result.failed.size);
    return records.map((r) => result.failed.get(r.doc._id));
  }

  async onModuleDestroy(): Promise<void> {
    await this.batcher.drain();
  }
}
