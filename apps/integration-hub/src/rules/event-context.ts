import type { CloudEvent } from '@aether/messaging';

/**
 * What rule filters and templates see of an event: its envelope (`id`, `type`, `source`,
 * `subject`, `time`), its `data`, and for webhook events the provider's own body parsed as
 * `payload` (so `payload.pull_request.title` works).
 */
export type EventContext = Record<string, unknown>;

export interface StoredEvent {
  id: string;
  type: string;
  source: string;
  subject?: string | null;
  time?: string;
  data: unknown;
}

export function storedEventOf(event: CloudEvent<unknown>): StoredEvent {
  return { id: event.id, type: event.type, source: event.source, subject: event.subject ?? null, time: event.time, data: event.data };
}

export function eventContext(event: StoredEvent): EventContext {
  const data = event.data && typeof event.data === 'object' ? (event.data as Record<string, unknown>) : {};
  let payload: unknown;
  if (typeof data.payloadJson === 'string') {
    try {
      payload = JSON.parse(data.payloadJson);
    } catch {
      payload = undefined;
    }
  }
  return { id: event.id, type: event.type, source: event.source, subject: event.subject ?? null, time: event.time, data: event.data, payload };
}

/** The value at a dotted path (`payload.pull_request.number`), or undefined. */
export function valueAt(context: unknown, path: string): unknown {
  let current: unknown = context;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object' || !Object.prototype.hasOwnProperty.call(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Every `{"path": value}` of the filter holds (scalars compared exactly). */
export function matchesFilter(filter: Record<string, unknown>, context: EventContext): boolean {
  return Object.entries(filter).every(([path, expected]) => valueAt(context, path) === expected);
}

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;

/**
 * `{{ path }}` replaced by the value there (objects as JSON, missing as ''); `escape` is applied
 * to each inserted value (never to the template), so an event cannot inject markup.
 */
export function renderTemplate(template: string, context: EventContext, escape: (s: string) => string = (s) => s): string {
  return template.replace(PLACEHOLDER, (_m, path: string) => {
    const value = valueAt(context, path);
    if (value === undefined || value === null) return '';
    return escape(typeof value === 'object' ? JSON.stringify(value) : String(value));
  });
}

export const DEFAULT_TEMPLATE = '{{type}}: {{data.repository}} {{data.action}} (event {{id}})';
