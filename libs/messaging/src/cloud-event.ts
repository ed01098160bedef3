import { CloudEvent } from 'cloudevents';
import { randomUUID } from 'node:crypto';
import { InvalidEventError } from './errors';

export { CloudEvent };

/** `<app>.<entity>.<verb>`: lower-case segments, the app may hold `-`, entity/verb also `_`. */
const EVENT_TYPE = /^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9_-]*){2,}$/;

export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
}

export interface BuildEventInput<T> {
  source: string;
  type: string;
  data: T;
  subject?: string;
  id?: string;
  time?: Date | string;
  trace?: TraceCarrier;
}

export function assertEventType(source: string, type: string): void {
  if (!EVENT_TYPE.test(type)) {
    throw new InvalidEventError(`Event type "${type}" is not <app>.<entity>.<verb> (lower case)`);
  }
  if (!type.startsWith(`${source}.`)) {
    throw new InvalidEventError(`Event type "${type}" must start with the publishing app "${source}."`);
  }
}

/** Builds a validated CloudEvents 1.0 envelope as used on `aether.events`. */
export function buildEvent<T>(input: BuildEventInput<T>): CloudEvent<T> {
  assertEventType(input.source, input.type);
  const time = input.time instanceof Date ? input.time.toISOString() : (input.time ?? new Date().toISOString());
  const attrs: Record<string, unknown> = {
    id: input.id ?? randomUUID(),
    source: input.source,
    type: input.type,
    specversion: '1.0',
    time,
    datacontenttype: 'application/json',
    data: input.data,
  };
  if (input.subject) attrs.subject = input.subject;
  if (input.trace?.traceparent) attrs.traceparent = input.trace.traceparent;
  if (input.trace?.tracestate) attrs.tracestate = input.trace.tracestate;
  return new CloudEvent<T>(attrs as Partial<CloudEvent<T>>);
}

/**
 * Parses a message body into a CloudEvent. Checks the required attributes on the raw object first:
 * the CloudEvent constructor would otherwise invent an id/time for a message that has none, and
 * idempotency hangs on the id the producer chose.
 */
export function parseEvent<T = unknown>(body: Buffer | string): CloudEvent<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch {
    throw new InvalidEventError('Message body is not valid JSON');
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InvalidEventError('Message body is not a JSON object');
  }
  const o = raw as Record<string, unknown>;
  if (o.specversion !== '1.0') throw new InvalidEventError('specversion must be "1.0"');
  for (const k of ['id', 'source', 'type'] as const) {
    if (typeof o[k] !== 'string' || (o[k] as string).length === 0) {
      throw new InvalidEventError(`CloudEvent attribute "${k}" is missing`);
    }
  }
  try {
    return new CloudEvent<T>(o as Partial<CloudEvent<T>>);
  } catch (e) {
    throw new InvalidEventError(`Not a valid CloudEvent: ${(e as Error).message.split('\n')[0]}`);
  }
}
