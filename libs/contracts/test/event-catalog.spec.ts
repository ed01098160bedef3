import { Parser } from '@asyncapi/parser';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  ASYNCAPI_DOCUMENT,
  EVENT_CATALOG,
  EVENT_TYPES,
  findEventDefinition,
  GRPC_SERVICES,
  TaskCreatedEvent,
  type EventDefinition,
} from '../src';

const root = join(__dirname, '../../..');
const protoDir = join(root, 'proto/aether');

/** Every service of the platform: the gRPC ones plus the gateway. */
const SERVICES = [...Object.keys(GRPC_SERVICES), 'api-gateway'].sort();

/** Events declared in a file, read from the proto text itself (independently of the generator). */
function declaredEvents(dir: string): Array<{ message: string; type: string; subject: string }> {
  const text = readFileSync(join(protoDir, dir, 'v1/events.proto'), 'utf8');
  const out: Array<{ message: string; type: string; subject: string }> = [];
  for (const m of text.matchAll(/^message (\w+) \{([\s\S]*?)^\}/gm)) {
    const type = /option \(aether\.events\.v1\.type\) = "([^"]+)";/.exec(m[2])?.[1];
    const subject = /option \(aether\.events\.v1\.subject\) = "([^"]+)";/.exec(m[2])?.[1];
    if (type) out.push({ message: `aether.${dir}.v1.${m[1]}`, type, subject: subject ?? '' });
  }
  return out;
}

const anyDef = (d: unknown) => d as EventDefinition<any, string, any>;

describe('event catalog', () => {
  const dirs = readdirSync(protoDir).filter((d) => existsSync(join(protoDir, d, 'v1/events.proto')));

  it('every service has its events.proto', () => {
    expect(dirs.map((d) => d.replace(/_/g, '-')).sort()).toEqual(SERVICES);
  });

  it('holds exactly the events the protos declare, with their type and subject rule', () => {
    const declared = dirs.flatMap(declaredEvents).sort((a, b) => a.type.localeCompare(b.type));
    const catalog = EVENT_CATALOG.map(anyDef)
      .map((d) => ({ message: d.message, type: d.type, subject: d.subject }))
      .sort((a, b) => a.type.localeCompare(b.type));
    expect(catalog).toEqual(declared);
    expect(Object.keys(EVENT_TYPES).sort()).toEqual(declared.map((d) => d.type).sort());
    expect(declared.length).toBeGreaterThanOrEqual(31);
  });

  it('names every type <app>.<entity>.<verb>, the app being the service whose proto declares it', () => {
    for (const def of EVENT_CATALOG.map(anyDef)) {
      const app = def.message.split('.')[1].replace(/_/g, '-');
      expect(def.app).toBe(app);
      expect(def.type).toMatch(new RegExp(`^${app}\\.[a-z0-9][a-z0-9_]*\\.([a-z0-9][a-z0-9_]*|\\{[a-z_]+\\})$`));
      expect(['required', 'optional', 'none']).toContain(def.subject);
    }
  });

  it('finds the definition of every concrete type, family members included, and nothing else', () => {
    for (const def of EVENT_CATALOG.map(anyDef)) {
      const concrete = def.parameter ? def.type.replace(`{${def.parameter}}`, 'pull_request') : def.type;
      expect(findEventDefinition(concrete)).toBe(def);
    }
    expect(findEventDefinition('integration-hub.github.{event}')).toBeUndefined();
    expect(findEventDefinition('task-manager.task.cancelled')).toBeUndefined();
    expect(findEventDefinition('integration-hub.github.a.b')).toBeUndefined();
  });

  it('gives every event a codec that round-trips its defaults', () => {
    for (const def of EVENT_CATALOG.map(anyDef)) {
      const empty = def.codec.fromPartial({});
      expect(def.codec.fromJSON(JSON.parse(JSON.stringify(def.codec.toJSON(empty))))).toEqual(empty);
    }
  });

  it('is published only through the catalog: no app writes an event by a bare type string', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, entry.name);
        if (entry.isDirectory()) walk(p);
        else if (p.endsWith('.ts') && !p.endsWith('.spec.ts')) {
          const text = readFileSync(p, 'utf8');
          if (/\.enqueue\(|\.publish\(\s*['"`]/.test(text)) offenders.push(p.slice(root.length + 1));
        }
      }
    };
    for (const app of readdirSync(join(root, 'apps'))) if (existsSync(join(root, 'apps', app, 'src'))) walk(join(root, 'apps', app, 'src'));
    expect(offenders).toEqual([]);
  });
});

describe('AsyncAPI document', () => {
  const doc = ASYNCAPI_DOCUMENT as any;

  it('is a valid AsyncAPI 3.0 document for the official parser (@asyncapi/parser: no error, no warning)', async () => {
    const { document, diagnostics } = await new Parser().parse(JSON.parse(JSON.stringify(doc)));
    // severity 0 = error, 1 = warning; the only hint is "a newer 3.x exists".
    expect(diagnostics.filter((d) => d.severity <= 1).map((d) => `${d.code} ${d.message} at ${d.path.join('.')}`)).toEqual([]);
    expect(document).toBeDefined();
    expect(document!.channels().length).toBe(EVENT_CATALOG.length);
    expect(document!.operations().length).toBe(EVENT_CATALOG.length);
  }, 60_000);

  it('has a channel on aether.events and a send operation for every catalog type', () => {
    expect(doc.asyncapi).toBe('3.0.0');
    const addresses = Object.values(doc.channels as Record<string, any>).map((c) => c.address).sort();
    expect(addresses).toEqual(EVENT_CATALOG.map((d) => d.type).sort());
    for (const [id, channel] of Object.entries(doc.channels as Record<string, any>)) {
      expect(channel.bindings.amqp).toMatchObject({ is: 'routingKey', exchange: { name: 'aether.events', type: 'topic', durable: true } });
      const ops = Object.values(doc.operations as Record<string, any>).filter((o) => o.channel.$ref === `#/channels/${id}`);
      expect(ops).toHaveLength(1);
      expect(ops[0].action).toBe('send');
    }
  });

  it('resolves every $ref in the document', () => {
    const refs: string[] = [];
    const walk = (v: unknown) => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          if (k === '$ref') refs.push(x as string);
          else walk(x);
        }
      }
    };
    walk(doc);
    expect(refs.length).toBeGreaterThan(100);
    for (const ref of new Set(refs)) {
      const target = ref.replace(/^#\//, '').split('/').reduce<any>((node, key) => node?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
      expect([ref, target !== undefined]).toEqual([ref, true]);
    }
  });

  it('describes the events as they really go on the wire (JSON Schema validation of a published envelope)', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema({ components: doc.components }, 'doc');
    const schemaOf = (message: string) => {
      const payload = JSON.parse(JSON.stringify(doc.components.messages[message].payload).replace(/"#\/components/g, '"doc#/components'));
      return ajv.compile(payload);
    };
    const task = { id: 't1', title: 'x', description: '', status: 'todo', priority: 'low', labels: ['a'], dueAt: '2030-01-01T00:00:00.000Z', assigneeId: '', ownerId: 'u1', createdAt: '2030-01-01T00:00:00.000Z', updatedAt: '2030-01-01T00:00:00.000Z', completedAt: '', version: 2, scheduleId: '' };
    const envelope = {
      specversion: '1.0',
      id: 'e1',
      source: 'task-manager',
      type: 'task-manager.task.created',
      time: '2030-01-01T00:00:00.000Z',
      subject: 'u1',
      datacontenttype: 'application/json',
      data: TaskCreatedEvent.codec.toJSON({ task }),
    };
    const validate = schemaOf('TaskCreated');
    expect([validate(envelope), validate.errors]).toEqual([true, null]);
    // Each variant below breaks one rule of an otherwise valid wire payload.
    const wireTask = (envelope.data as { task: Record<string, unknown> }).task;
    expect(validate({ ...envelope, data: { task: { ...wireTask } } })).toBe(true);
    expect(validate({ ...envelope, subject: undefined })).toBe(false); // the subject is required for this event
    expect(validate({ ...envelope, data: { task: { ...wireTask, dueAt: 'tomorrow' } } })).toBe(false); // RFC 3339 times
    expect(validate({ ...envelope, data: { task: { ...wireTask, version: '2' } } })).toBe(false); // int32 is a number
    expect(validate({ ...envelope, type: 'task-manager.task.deleted' })).toBe(false);
    expect(validate({ ...envelope, data: { task: { ...wireTask, status: 'archived' } } })).toBe(false); // "One of: ..." comments become enums
    const hook = schemaOf('GithubWebhookReceived');
    const github = { ...envelope, source: 'integration-hub', type: 'integration-hub.github.pull_request', subject: undefined, data: { event: 'pull_request', payloadJson: '{"action":"opened"}' } };
    expect([hook(github), hook.errors]).toEqual([true, null]);
    expect(hook({ ...github, subject: 'u1' })).toBe(false); // concerns no user
    expect(hook({ ...github, type: 'integration-hub.slack.message' })).toBe(false);
  });
});
