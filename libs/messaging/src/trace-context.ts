import { Context, ROOT_CONTEXT, context, propagation } from '@opentelemetry/api';
import type { TraceCarrier } from './cloud-event';

/** W3C trace context of the active context (empty when no propagator is registered). */
export function injectTraceContext(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/**
 * The producer's context for a consumed message: AMQP headers first, then the envelope's
 * `traceparent`/`tracestate` extensions (events relayed from the outbox or published by others).
 */
export function extractTraceContext(headers: Record<string, unknown> | undefined, event?: TraceCarrier): Context {
  const carrier: Record<string, string> = {};
  const tp = headers?.traceparent ?? event?.traceparent;
  const ts = headers?.tracestate ?? event?.tracestate;
  if (tp !== undefined) carrier.traceparent = String(tp);
  if (ts !== undefined) carrier.tracestate = String(ts);
  return propagation.extract(ROOT_CONTEXT, carrier);
}
