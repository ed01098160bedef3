import { Counter, Histogram, Registry, register as globalRegistry } from 'prom-client';

function counter<L extends string>(registry: Registry, name: string, help: string, labelNames: L[]): Counter<L> {
  // Reuse an existing metric so several app instances in one process (tests) share the registry.
  const existing = registry.getSingleMetric(name) as Counter<L> | undefined;
  return existing ?? new Counter<L>({ name, help, labelNames, registers: [registry] });
}

function histogram<L extends string>(registry: Registry, name: string, help: string, labelNames: L[], buckets: number[]): Histogram<L> {
  const existing = registry.getSingleMetric(name) as Histogram<L> | undefined;
  return existing ?? new Histogram<L>({ name, help, labelNames, buckets, registers: [registry] });
}

export type ConsumeOutcome = 'success' | 'retry' | 'dead_letter' | 'duplicate' | 'deferred';

/** RED metrics of publishing, consuming and the outbox relay. */
export class MessagingMetrics {
  readonly published: Counter<'type' | 'result'>;
  readonly consumed: Counter<'queue' | 'outcome'>;
  readonly failed: Counter<'queue'>;
  readonly deadLettered: Counter<'queue' | 'reason'>;
  readonly handlerDuration: Histogram<'queue' | 'outcome'>;
  readonly outboxRelayed: Counter<'result'>;

  constructor(registry: Registry = globalRegistry) {
    this.published = counter(registry, 'messaging_messages_published_total', 'Events published to the broker (result=ok after confirm, error otherwise)', ['type', 'result']);
    this.consumed = counter(registry, 'messaging_messages_consumed_total', 'Messages taken off a queue, by outcome', ['queue', 'outcome']);
    this.failed = counter(registry, 'messaging_handler_failures_total', 'Handler invocations that threw', ['queue']);
    this.deadLettered = counter(registry, 'messaging_messages_dead_lettered_total', 'Messages moved to <queue>.dlq', ['queue', 'reason']);
    this.handlerDuration = histogram(registry, 'messaging_handler_duration_seconds', 'Event handler duration', ['queue', 'outcome'], [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
    this.outboxRelayed = counter(registry, 'messaging_outbox_relayed_total', 'Outbox rows the relay published (ok) or failed to publish (error)', ['result']);
  }
}
