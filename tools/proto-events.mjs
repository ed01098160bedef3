// Event catalog and AsyncAPI document from proto/aether/<app>/v1/events.proto (run by
// tools/proto-gen.sh after ts-proto, into the same output folder):
//   event-catalog.ts  one EventDefinition per event message (type, subject rule, ts-proto codec),
//                     EVENT_TYPES (type → definition) and findEventDefinition()
//   asyncapi.ts       ASYNCAPI_DOCUMENT: AsyncAPI 3.0 (channels = routing keys on aether.events,
//                     payload JSON Schemas in the proto3 JSON mapping, CloudEvents envelope)
// An event is a message with the options of proto/aether/events/v1/options.proto; anything
// that breaks the convention stops the generation with a message naming the file and message.
//
//   node tools/proto-events.mjs <output dir>
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const protobuf = require('protobufjs');

const root = new URL('..', import.meta.url).pathname;
const protoDir = join(root, 'proto');
const wktDir = join(dirname(require.resolve('protoc/package.json')), 'include');
const out = process.argv[2];
if (!out) fail('usage: node tools/proto-events.mjs <output dir>');

const EXCHANGE = 'aether.events';
const TYPE_OPTION = '(aether.events.v1.type)';
const SUBJECT_OPTION = '(aether.events.v1.subject)';
const SUBJECT_RULES = ['required', 'optional', 'none'];
const SEGMENT = '[a-z0-9][a-z0-9_]*';
/** What a family's parameter (the last segment) may hold, as the runtime matcher and the schema say. */
const PARAMETER_VALUE = '[a-z0-9][a-z0-9_-]*';

function fail(message) {
  console.error(`proto-events: ${message}`);
  process.exit(1);
}

// ---- load every events.proto with comments ------------------------------------------------

const files = readdirSync(join(protoDir, 'aether'))
  .filter((d) => existsSync(join(protoDir, 'aether', d, 'v1', 'events.proto')))
  .sort()
  .map((d) => ({ dir: d, app: d.replace(/_/g, '-'), path: `aether/${d}/v1/events.proto`, pkg: `aether.${d}.v1` }));

const pbRoot = new protobuf.Root();
pbRoot.resolvePath = (_origin, target) => {
  for (const base of [protoDir, wktDir]) {
    const p = join(base, target);
    if (existsSync(p)) return p;
  }
  return target;
};
try {
  pbRoot.loadSync(
    files.map((f) => f.path),
    { keepCase: true, alternateCommentMode: true },
  );
  pbRoot.resolveAll();
} catch (e) {
  fail(`cannot load the event protos: ${e.message}`);
}

// ---- the catalog ----------------------------------------------------------------------------

const lowerCamel = (s) => s.replace(/_([a-z0-9])/g, (_m, c) => c.toUpperCase());
const clean = (comment) => (comment ?? '').replace(/\s*\n\s*/g, ' ').trim();

const events = [];
for (const file of files) {
  const ns = pbRoot.lookup(file.pkg);
  const messages = (ns?.nestedArray ?? []).filter((m) => m instanceof protobuf.Type && m.filename?.endsWith(file.path));
  for (const m of messages) {
    const where = `${file.path} ${m.name}`;
    const type = m.options?.[TYPE_OPTION];
    const subject = m.options?.[SUBJECT_OPTION];
    if (type === undefined) {
      if (subject !== undefined) fail(`${where}: has a subject option but no type option`);
      continue; // a message the events use (e.g. api-gateway's Route), not an event itself
    }
    const shape = new RegExp(`^${file.app.replace(/-/g, '\\-')}\\.${SEGMENT}\\.(${SEGMENT}|\\{([a-z][a-z0-9_]*)\\})$`);
    const match = shape.exec(type);
    if (!match) fail(`${where}: type "${type}" is not "${file.app}.<entity>.<verb>" (lower case; a family ends in "{parameter}")`);
    if (!SUBJECT_RULES.includes(subject)) fail(`${where}: subject option must be one of ${SUBJECT_RULES.join(', ')} (got ${JSON.stringify(subject)})`);
    if (!clean(m.comment)) fail(`${where}: an event message needs a comment saying what happened`);
    const parameter = match[2];
    const prefix = parameter ? type.slice(0, type.lastIndexOf('.') + 1) : type;
    events.push({
      file,
      message: m,
      name: m.name,
      fullName: m.fullName.replace(/^\./, ''),
      type,
      subject,
      parameter,
      pattern: parameter ? `${prefix}*` : type,
      // Only dots escaped: `\-` is invalid in the Unicode-mode patterns JSON Schema validators use.
      regex: parameter ? `^${prefix.replace(/\./g, '\\.')}${PARAMETER_VALUE}$` : undefined,
      description: clean(m.comment),
      nsImport: `${lowerCamel(file.dir)}V1Events`,
    });
  }
}
const seen = new Map();
for (const e of events) {
  for (const key of [`type ${e.type}`, `message name ${e.name}`, `pattern ${e.pattern}`]) {
    if (seen.has(key)) fail(`${e.file.path} ${e.name}: ${key} is already used by ${seen.get(key)} (names must be unique across the catalog)`);
    seen.set(key, `${e.file.path} ${e.name}`);
  }
}
// A fixed type must not fall inside a family, or decoding would be ambiguous.
for (const fam of events.filter((e) => e.regex)) {
  for (const e of events.filter((x) => !x.regex)) {
    if (new RegExp(fam.regex).test(e.type)) fail(`${e.file.path} ${e.name}: type ${e.type} lies inside the family ${fam.type}`);
  }
}

const q = (s) => JSON.stringify(s);
const tsType = (e) => (e.parameter ? `\`${e.type.slice(0, e.type.lastIndexOf('.') + 1)}\${string}\`` : q(e.type));

function catalogSource() {
  const imports = [...new Set(events.map((e) => e.file))]
    .map((f) => `import * as ${lowerCamel(f.dir)}V1Events from './aether/${f.dir}/v1/events';`)
    .join('\n');
  const defs = events
    .map(
      (e) => `/** ${e.type} — ${e.description.replace(/\*\//g, '*\\/')} Subject: ${e.subject}. */
export const ${e.name}Event: EventDefinition<${e.nsImport}.${e.name}, ${tsType(e)}, ${q(e.subject)}> = Object.freeze({
  type: ${q(e.type)},
  app: ${q(e.file.app)},
  message: ${q(e.fullName)},
  subject: ${q(e.subject)},
  description: ${q(e.description)},
  codec: ${e.nsImport}.${e.name},
  pattern: ${q(e.pattern)},${e.parameter ? `\n  parameter: ${q(e.parameter)},` : ''}
});`,
    )
    .join('\n\n');
  const families = events.filter((e) => e.regex);
  return `// Generated by tools/proto-events.mjs from proto/aether/*/v1/events.proto. DO NOT EDIT.
/* eslint-disable */
${imports}

/**
 * What the CloudEvents \`subject\` of an event holds — always the id of the user the event
 * concerns: "required" (every event has one), "optional" (when there is one), "none" (never).
 */
export type EventSubjectRule = 'required' | 'optional' | 'none';

/** The ts-proto functions of an event message (proto3 JSON mapping). */
export interface EventCodec<T> {
  fromJSON(object: any): T;
  toJSON(message: T): unknown;
  fromPartial(object: any): T;
}

/** One event type of the catalog: its routing key, subject rule and payload codec. */
export interface EventDefinition<T = unknown, K extends string = string, S extends EventSubjectRule = EventSubjectRule> {
  /**
   * The CloudEvents type (= routing key on ${EXCHANGE}), "<app>.<entity>.<verb>". For a family
   * the last segment is a parameter in braces ("integration-hub.github.{event}") and \`K\` is
   * the template literal type of every concrete type.
   */
  readonly type: K;
  /** The publishing app (= CloudEvents source). */
  readonly app: string;
  /** Full name of the proto message of \`data\`. */
  readonly message: string;
  readonly subject: S;
  readonly description: string;
  readonly codec: EventCodec<T>;
  /** AMQP binding pattern matching this event (a family: its prefix and "*"). */
  readonly pattern: string;
  /** A family's parameter name (the last segment of the type); absent for a fixed type. */
  readonly parameter?: string;
}

/** Payload type of a definition (a union of definitions gives the union of payloads). */
export type EventPayload<D> = D extends EventDefinition<infer T, any, any> ? T : never;
/** Type string(s) of a definition. */
export type EventTypeOf<D> = D extends EventDefinition<any, infer K, any> ? K : never;

${defs}

/** Every event of the platform by type (a family by its template). */
export const EVENT_TYPES = Object.freeze({
${events.map((e) => `  ${q(e.type)}: ${e.name}Event,`).join('\n')}
} as const);

/** Any definition of the catalog (a union: narrowing on \`type\` gives the payload). */
export type CatalogEventDefinition = (typeof EVENT_TYPES)[keyof typeof EVENT_TYPES];
/** Every type the catalog knows (families as template literal types). */
export type CatalogEventType = EventTypeOf<CatalogEventDefinition>;

export const EVENT_CATALOG: readonly CatalogEventDefinition[] = Object.freeze(Object.values(EVENT_TYPES));

const FAMILIES: ReadonlyArray<readonly [RegExp, CatalogEventDefinition]> = [
${families.map((e) => `  [/${e.regex}/, ${e.name}Event],`).join('\n')}
];

/** The definition of a concrete event type (a family's member included); undefined when unknown. */
export function findEventDefinition(type: string): CatalogEventDefinition | undefined {
  const exact = (EVENT_TYPES as Record<string, CatalogEventDefinition>)[type];
  if (exact && exact.parameter === undefined) return exact;
  for (const [re, def] of FAMILIES) if (re.test(type)) return def;
  return undefined;
}

/** Whether \`type\` is the definition's type (or, for a family, one of its members). */
export function isEventOfDefinition(def: EventDefinition<any, any, any>, type: string): boolean {
  if (def.parameter === undefined) return def.type === type;
  const prefix = def.type.slice(0, def.type.lastIndexOf('.') + 1);
  return type.startsWith(prefix) && /^${PARAMETER_VALUE}$/.test(type.slice(prefix.length));
}
`;
}

// ---- JSON Schemas in the proto3 JSON mapping -------------------------------------------------

const INT32 = { int32: [-2147483648, 2147483647], sint32: [-2147483648, 2147483647], sfixed32: [-2147483648, 2147483647], uint32: [0, 4294967295], fixed32: [0, 4294967295] };
const INT64 = ['int64', 'sint64', 'sfixed64', 'uint64', 'fixed64'];
const WELL_KNOWN = {
  'google.protobuf.Struct': { type: 'object', description: 'Any JSON object.' },
  'google.protobuf.Value': { description: 'Any JSON value.' },
  'google.protobuf.ListValue': { type: 'array', description: 'Any JSON array.' },
  'google.protobuf.Timestamp': { type: 'string', format: 'date-time', description: 'RFC 3339 time.' },
  'google.protobuf.Duration': { type: 'string', pattern: '^-?[0-9]+(\\.[0-9]{1,9})?s$', description: 'Seconds with an "s" suffix.' },
  'google.protobuf.Empty': { type: 'object' },
};
const schemas = {};
const schemaRef = (name) => ({ $ref: `#/components/schemas/${name}` });

function scalarSchema(field) {
  const t = field.type;
  if (t === 'string') {
    // The convention's names: timestamps end in _at (RFC 3339), free-form JSON text in _json.
    if (/(_at|_for)$/.test(field.name)) return { type: 'string', format: 'date-time' };
    if (/_json$/.test(field.name)) return { type: 'string', contentMediaType: 'application/json' };
    return { type: 'string' };
  }
  if (t === 'bool') return { type: 'boolean' };
  if (t === 'double' || t === 'float') return { type: 'number' };
  if (t === 'bytes') return { type: 'string', contentEncoding: 'base64' };
  if (INT32[t]) return { type: 'integer', minimum: INT32[t][0], maximum: INT32[t][1] };
  if (INT64.includes(t)) return { type: 'string', pattern: t.startsWith('u') || t === 'fixed64' ? '^[0-9]+$' : '^-?[0-9]+$', description: '64-bit integer as a decimal string.' };
  return undefined;
}

function valueSchema(field) {
  const scalar = scalarSchema(field);
  if (scalar) return scalar;
  const resolved = field.resolvedType;
  if (!resolved) fail(`cannot resolve the type ${field.type} of field ${field.fullName}`);
  const name = resolved.fullName.replace(/^\./, '');
  if (resolved instanceof protobuf.Enum) {
    if (!schemas[name]) schemas[name] = { type: 'string', enum: Object.keys(resolved.values), ...(clean(resolved.comment) ? { description: clean(resolved.comment) } : {}) };
    return schemaRef(name);
  }
  if (WELL_KNOWN[name]) return { ...WELL_KNOWN[name] };
  messageSchema(resolved);
  return schemaRef(name);
}

/**
 * The allowed values of a closed set, from the convention's comment "One of: a, b (why), c.";
 * undefined when the comment has none or does not parse into plain lower-case words.
 */
function closedValues(doc) {
  const m = /\bOne of: ([^.]*(?:\.[a-z0-9][^.]*)*)\./.exec(doc);
  if (!m) return undefined;
  const values = m[1].replace(/\([^()]*\)/g, '').split(',').map((v) => v.trim());
  return values.length > 1 && values.every((v) => /^[a-z0-9][a-z0-9_]*$/.test(v)) ? values : undefined;
}

function messageSchema(type) {
  const name = type.fullName.replace(/^\./, '');
  if (schemas[name]) return;
  const schema = { type: 'object', properties: {} };
  if (clean(type.comment)) schema.description = clean(type.comment);
  schemas[name] = schema; // before the fields: a message may refer to itself
  for (const field of type.fieldsArray) {
    let s;
    if (field.map) {
      const value = valueSchema(field);
      s = { type: 'object', additionalProperties: value };
    } else {
      const item = valueSchema(field);
      s = field.repeated ? { type: 'array', items: item } : item;
    }
    const doc = clean(field.comment);
    const values = closedValues(doc);
    if (values && s.type === 'string' && !field.map) s = { ...s, enum: values };
    else if (values && s.type === 'array' && s.items.type === 'string') s = { ...s, items: { ...s.items, enum: values } };
    if (doc) s = s.$ref ? { allOf: [s], description: doc } : { ...s, description: s.description ? `${doc} ${s.description}` : doc };
    schema.properties[lowerCamel(field.name)] = s;
  }
}

// ---- the AsyncAPI document -----------------------------------------------------------------

function asyncApiDocument() {
  for (const e of events) messageSchema(e.message);
  schemas.CloudEvent = {
    type: 'object',
    description:
      'CloudEvents 1.0 structured JSON (content type application/cloudevents+json), published to the topic exchange ' +
      `${EXCHANGE} with the type as routing key. Extensions other than traceparent/tracestate may appear and are to be ignored.`,
    required: ['specversion', 'id', 'source', 'type', 'time', 'datacontenttype', 'data'],
    properties: {
      specversion: { type: 'string', const: '1.0' },
      id: { type: 'string', minLength: 1, description: 'Unique per event; consumers de-duplicate on it (a redelivery repeats it).' },
      source: { type: 'string', description: 'The publishing app.' },
      type: { type: 'string', description: 'The event type, equal to the routing key.' },
      time: { type: 'string', format: 'date-time', description: 'When it happened (RFC 3339, UTC).' },
      subject: { type: 'string', minLength: 1, description: 'The id of the user the event concerns.' },
      datacontenttype: { type: 'string', const: 'application/json' },
      data: { type: 'object' },
      traceparent: { type: 'string', pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$', description: 'W3C trace context of the change that caused the event.' },
      tracestate: { type: 'string' },
    },
  };
  const channels = {};
  const operations = {};
  const messages = {};
  const subjectText = {
    required: 'The subject is always set: the id of the user the event concerns.',
    optional: 'The subject is the id of the user the event concerns, when there is one.',
    none: 'No subject: the event concerns no user.',
  };
  for (const e of events) {
    const envelope = {
      allOf: [
        schemaRef('CloudEvent'),
        {
          type: 'object',
          ...(e.subject === 'required' ? { required: ['subject'] } : {}),
          properties: {
            source: { const: e.file.app },
            type: e.parameter ? { type: 'string', pattern: e.regex } : { const: e.type },
            data: schemaRef(e.fullName),
            ...(e.subject === 'none' ? { subject: { not: {} } } : {}),
          },
        },
      ],
    };
    messages[e.name] = {
      name: e.name,
      title: e.type,
      summary: e.description,
      description: `${e.description} ${subjectText[e.subject]} data is the proto message ${e.fullName} in the proto3 JSON mapping (camelCase names; fields at their default value are left out).`,
      contentType: 'application/cloudevents+json',
      payload: envelope,
      headers: {
        type: 'object',
        properties: {
          traceparent: { type: 'string', description: 'W3C trace context (also in the envelope).' },
          tracestate: { type: 'string' },
        },
      },
      bindings: { amqp: { messageType: e.type, bindingVersion: '0.3.0' } },
      'x-aether-subject': e.subject,
    };
    const channel = {
      address: e.type,
      title: e.type,
      description: e.description,
      messages: { [e.name]: { $ref: `#/components/messages/${e.name}` } },
      bindings: {
        amqp: {
          is: 'routingKey',
          exchange: { name: EXCHANGE, type: 'topic', durable: true, autoDelete: false, vhost: '/' },
          bindingVersion: '0.3.0',
        },
      },
    };
    if (e.parameter) {
      channel.parameters = {
        [e.parameter]: { description: `The provider's own event name (bind "${e.pattern}" for all of them).` },
      };
    }
    channels[e.name] = channel;
    operations[`send${e.name}`] = {
      action: 'send',
      title: `${e.file.app} publishes ${e.type}`,
      summary: e.description,
      channel: { $ref: `#/channels/${e.name}` },
      messages: [{ $ref: `#/channels/${e.name}/messages/${e.name}` }],
      bindings: { amqp: { deliveryMode: 2, mandatory: false, bindingVersion: '0.3.0' } },
      'x-aether-app': e.file.app,
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Aether platform events',
      version: '1.0.0',
      description:
        `Every event the platform publishes, one channel per routing key on the RabbitMQ topic exchange ${EXCHANGE} ` +
        '(durable). Envelope: CloudEvents 1.0 JSON; routing key = CloudEvents type = "<app>.<entity>.<verb>"; subject = the ' +
        'id of the user the event concerns. A consumer owns a durable queue "<app>.<purpose>" bound with routing patterns ' +
        '("*" one word, "#" zero or more) and de-duplicates on the event id (delivery is at least once). Generated from ' +
        'proto/aether/<app>/v1/events.proto.',
    },
    defaultContentType: 'application/cloudevents+json',
    servers: {
      rabbitmq: {
        host: 'rabbitmq:5672',
        protocol: 'amqp',
        protocolVersion: '0.9.1',
        description: 'The broker every service reaches through RABBITMQ_URL.',
      },
    },
    channels,
    operations,
    components: { messages, schemas },
  };
}

// ---- write -----------------------------------------------------------------------------------

const doc = asyncApiDocument();
writeFileSync(join(out, 'event-catalog.ts'), catalogSource());
writeFileSync(
  join(out, 'asyncapi.ts'),
  `// Generated by tools/proto-events.mjs from proto/aether/*/v1/events.proto. DO NOT EDIT.
/* eslint-disable */
/** The AsyncAPI 3.0 document of every platform event (served by the gateway at /docs/asyncapi.json). */
export const ASYNCAPI_DOCUMENT: Readonly<Record<string, unknown>> = ${JSON.stringify(doc, null, 2)};
`,
);
console.log(`proto-events: ${events.length} events from ${files.length} events.proto files`);
