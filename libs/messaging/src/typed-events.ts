import {
  findEventDefinition,
  isEventOfDefinition,
  type CatalogEventDefinition,
  type EventDefinition,
  type EventPayload,
  type EventSubjectRule,
} from '@aether/contracts';
import type { CloudEvent } from './cloud-event';
import { InvalidEventError } from './errors';

/** Any event definition (the catalog's, or one a test builds from a generated codec). */
export type AnyEventDefinition = EventDefinition<any, string, EventSubjectRule>;

/** A CloudEvent whose `type` and decoded `data` are those of D; a union of definitions gives a union of events. */
export type TypedCloudEvent<D> =
  D extends EventDefinition<infer T, infer K, any> ? CloudEvent<T> & { readonly type: K; readonly data: T } : never;

/** Any event of the catalog, decoded: narrow on `type` (a discriminated union) to read its payload. */
export type KnownCloudEvent = TypedCloudEvent<CatalogEventDefinition>;

type SubjectOption<S> = S extends 'required'
  ? { /** The id of the user the event concerns (required by this event). */ subject: string }
  : S extends 'optional'
    ? { /** The id of the user the event concerns, when there is one. */ subject?: string | null }
    : { subject?: never };

/**
 * A family's type is a template literal (`integration-hub.github.${string}`): `{}` fits a record
 * keyed by it, but not one keyed by a single literal. A family needs the concrete type.
 */
type TypeOption<K extends string> = {} extends Record<K, true> ? { /** The concrete type of this family member. */ type: K } : { type?: K };

/** Options of a typed publish: the subject as the definition's rule demands, the concrete type of a family. */
export type TypedPublishOptions<D> =
  D extends EventDefinition<any, infer K, infer S>
    ? {
        /** Defaults to a new UUID; pass one to make a retried publish recognisable as the same event. */
        id?: string;
        time?: Date | string;
      } & SubjectOption<S> &
        TypeOption<K>
    : never;

/** `opts` may be left out only when the definition asks for nothing (no subject, no family type). */
export type TypedPublishArgs<D> = {} extends TypedPublishOptions<D> ? [opts?: TypedPublishOptions<D>] : [opts: TypedPublishOptions<D>];

export interface EncodedEvent {
  type: string;
  /** The payload in the proto3 JSON mapping (ts-proto toJSON): what goes on the wire. */
  data: unknown;
  subject?: string;
  id?: string;
  time?: Date | string;
}

/**
 * Checks a typed publish against its definition (subject rule, family type) and serialises the
 * payload with the generated codec. Throws InvalidEventError on a programming error, before
 * anything is written.
 */
export function encodeEvent<D extends AnyEventDefinition>(def: D, data: EventPayload<D>, opts: TypedPublishOptions<D> | undefined): EncodedEvent {
  const o = (opts ?? {}) as { subject?: string | null; type?: string; id?: string; time?: Date | string };
  let type = def.type;
  if (def.parameter !== undefined) {
    if (!o.type || !isEventOfDefinition(def, o.type)) {
      throw new InvalidEventError(`${def.type} is a family: pass its concrete type (e.g. { type: '${def.pattern.replace('*', 'example')}' }), got ${JSON.stringify(o.type)}`);
    }
    type = o.type;
  } else if (o.type !== undefined && o.type !== def.type) {
    throw new InvalidEventError(`Type ${o.type} is not the type of the definition (${def.type})`);
  }
  const subject = o.subject ?? undefined;
  if (def.subject === 'required' && (typeof subject !== 'string' || subject.length === 0)) {
    throw new InvalidEventError(`${type} needs a subject: the id of the user the event concerns`);
  }
  if (def.subject === 'none' && subject !== undefined) throw new InvalidEventError(`${type} concerns no user: it takes no subject`);
  if (subject !== undefined && (typeof subject !== 'string' || subject.length === 0)) throw new InvalidEventError(`${type}: subject must be a non-empty string`);
  if (data === null || typeof data !== 'object') throw new InvalidEventError(`${type}: the payload must be a ${def.message} object`);
  // fromPartial first: a null or missing field becomes its default instead of leaking into the JSON.
  return { type, data: def.codec.toJSON(def.codec.fromPartial(data)), subject, id: o.id, time: o.time };
}

/**
 * Decodes an event of `def` (or, for a family, of one of its members): `data` through the
 * generated fromJSON (camelCase and snake_case names, defaults for absent fields). Throws
 * InvalidEventError when the type is not the definition's or the data is not a JSON object.
 */
export function decodeEventAs<D extends AnyEventDefinition>(def: D, event: CloudEvent<unknown>): TypedCloudEvent<D> {
  if (!isEventOfDefinition(def, event.type)) throw new InvalidEventError(`Event ${event.id} is a ${event.type}, not a ${def.type}`);
  const data = event.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new InvalidEventError(`Event ${event.id} (${event.type}): data is not a JSON object`);
  }
  let decoded: unknown;
  try {
    decoded = def.codec.fromJSON(data);
  } catch (e) {
    throw new InvalidEventError(`Event ${event.id} (${event.type}): data is not a ${def.message}: ${(e as Error).message}`);
  }
  // Not strict: the envelope was validated when it was parsed; only the data is replaced.
  return event.cloneWith({ data: decoded }, false) as unknown as TypedCloudEvent<D>;
}

/**
 * Decodes any event of the catalog, typed by it; undefined for a type the catalog does not know
 * (an event from a newer publisher, say). For consumers that subscribe to everything (`#`):
 *
 *   const event = decodeEvent(raw);
 *   if (event?.type === 'ai-gateway.completion.completed') event.data.usage?.promptTokens;
 *
 * Throws InvalidEventError when a catalogued event's data is not a JSON object.
 */
export function decodeEvent(event: CloudEvent<unknown>): KnownCloudEvent | undefined {
  const def = findEventDefinition(event.type);
  return def ? (decodeEventAs(def as AnyEventDefinition, event) as KnownCloudEvent) : undefined;
}
