import { trace } from '@opentelemetry/api';

/** The active trace id (for logs and error bodies), or undefined when tracing is off. */
export function currentTraceId(): string | undefined {
  return trace.getActiveSpan()?.spanContext().traceId;
}
