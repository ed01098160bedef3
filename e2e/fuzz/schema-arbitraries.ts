/**
 * fast-check arbitraries derived from the gateway's OpenAPI 3 document, in the manner of
 * Schemathesis: `validValue` follows a JSON Schema, `invalidValue` breaks it in one of the ways
 * clients really do (wrong type, missing required field, unknown field, out-of-range, hostile
 * text). Only the subset of JSON Schema that @nestjs/swagger emits is understood; anything else
 * falls back to arbitrary JSON, which is still a fair request to send.
 */
import fc from 'fast-check';

export interface Schema {
  $ref?: string;
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  nullable?: boolean;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  default?: unknown;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
}

export type Resolver = (schema: Schema | undefined) => Schema;

/** Resolves `#/components/schemas/...` references of one document (and merges allOf). */
export function resolverFor(doc: { components?: { schemas?: Record<string, Schema> } }): Resolver {
  const resolve: Resolver = (schema) => {
    let s = schema ?? {};
    for (let hops = 0; s.$ref && hops < 20; hops++) {
      const name = s.$ref.replace('#/components/schemas/', '');
      s = doc.components?.schemas?.[name] ?? {};
    }
    if (s.allOf?.length) {
      const parts = s.allOf.map(resolve);
      s = {
        ...Object.assign({}, ...parts),
        properties: Object.assign({}, ...parts.map((p) => p.properties ?? {})),
        required: parts.flatMap((p) => p.required ?? []),
      };
    }
    return s;
  };
  return resolve;
}

/** Text that has broken real parsers, validators, databases and transports. */
export const HOSTILE_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  'x\ud800y',
  '\udfff',
  '\ufeffbom',
  'Europe/Bärlin',
  '0 9 * * MÖN',
  '😀'.repeat(70),
  'x'.repeat(10_000),
  '%ff',
  '../../etc/passwd',
  "'; DROP TABLE tasks; --",
  '{"$gt": ""}',
  '<script>alert(1)</script>',
  '\r\nX-Injected: 1',
  '1e309',
  '-0',
  '2030-02-31T00:00:00Z',
  '10000-01-01T00:00:00Z',
  '2030-01-01',
  '00000000-0000-0000-0000-000000000000',
  'NaN',
];

const hostileString = fc.constantFrom(...HOSTILE_STRINGS);
const anyText = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 20 }), hostileString);

const isoDate = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true })
  .map((d) => d.toISOString());

function typeOf(s: Schema): string | undefined {
  if (Array.isArray(s.type)) return s.type.find((t) => t !== 'null');
  if (s.type) return s.type;
  if (s.properties) return 'object';
  if (s.items) return 'array';
  return undefined;
}

/** A value the schema accepts (best effort: formats and bounds are honoured). */
export function validValue(schema: Schema | undefined, resolve: Resolver, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(schema);
  if (s.enum?.length) return fc.constantFrom(...s.enum);
  const alternatives = s.oneOf ?? s.anyOf;
  if (alternatives?.length) return fc.oneof(...alternatives.map((a) => validValue(a, resolve, depth + 1)));
  const base = ((): fc.Arbitrary<unknown> => {
    switch (typeOf(s)) {
      case 'string': {
        if (s.format === 'uuid') return fc.uuid();
        if (s.format === 'date-time') return isoDate;
        if (s.format === 'email') return fc.emailAddress();
        const minLength = s.minLength ?? 0;
        const maxLength = Math.min(s.maxLength ?? 40, minLength + 40);
        return fc.string({ minLength: Math.max(minLength, 1), maxLength: Math.max(maxLength, minLength, 1) }).filter((v) => v.trim().length > 0);
      }
      case 'integer':
        return fc.integer({ min: s.minimum ?? -1000, max: s.maximum ?? 1000 });
      case 'number':
        return fc.double({ min: s.minimum ?? -1000, max: s.maximum ?? 1000, noNaN: true, noDefaultInfinity: true });
      case 'boolean':
        return fc.boolean();
      case 'array':
        if (depth > 4) return fc.constant([]);
        return fc.array(validValue(s.items, resolve, depth + 1), { minLength: s.minItems ?? 0, maxLength: Math.min(s.maxItems ?? 3, 5) });
      case 'object': {
        if (depth > 4) return fc.constant({});
        const props = s.properties ?? {};
        const required = new Set(s.required ?? []);
        const record: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [k, v] of Object.entries(props)) record[k] = validValue(v, resolve, depth + 1);
        return fc.record(record, { requiredKeys: Object.keys(props).filter((k) => required.has(k)) });
      }
      default:
        return fc.jsonValue({ maxDepth: 2 });
    }
  })();
  return s.nullable ? fc.oneof({ weight: 5, arbitrary: base }, { weight: 1, arbitrary: fc.constant(null) }) : base;
}

/** A value that breaks the schema in one place, or is hostile in general. */
export function invalidValue(schema: Schema | undefined, resolve: Resolver, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(schema);
  const wrongType = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.constant([]), fc.constant({}), anyText, fc.double());
  const choices: fc.Arbitrary<unknown>[] = [wrongType, hostileString];
  switch (typeOf(s)) {
    case 'string':
      choices.push(anyText);
      if (s.maxLength !== undefined) choices.push(fc.constant('y'.repeat(s.maxLength + 1)), fc.constant('😀'.repeat(s.maxLength + 1)));
      break;
    case 'integer':
    case 'number':
      choices.push(fc.constantFrom(-1, 0, 1.5, 1e21, -1e21, Number.MAX_SAFE_INTEGER + 2), fc.constant('12'));
      if (s.maximum !== undefined) choices.push(fc.constant(s.maximum + 1));
      if (s.minimum !== undefined) choices.push(fc.constant(s.minimum - 1));
      break;
    case 'array':
      choices.push(fc.array(invalidValue(s.items, resolve, depth + 1), { minLength: 1, maxLength: 3 }), fc.constant(new Array(1000).fill('x')));
      break;
    case 'object': {
      const props = Object.keys(s.properties ?? {});
      const valid = validValue(s, resolve, depth + 1) as fc.Arbitrary<Record<string, unknown>>;
      choices.push(valid.map((v) => ({ ...v, [`unknown_${props.length}`]: 1 })));
      choices.push(valid.map((v) => ({ ...v, __proto__: { admin: true }, constructor: { prototype: 1 } })));
      if (s.required?.length) {
        choices.push(valid.chain((v) => fc.constantFrom(...s.required!).map((k) => Object.fromEntries(Object.entries(v).filter(([key]) => key !== k)))));
      }
      if (props.length && depth < 3) {
        choices.push(
          fc.tuple(valid, fc.constantFrom(...props)).chain(([v, k]) => invalidValue(s.properties![k], resolve, depth + 1).map((bad) => ({ ...v, [k]: bad }))),
        );
      }
      break;
    }
  }
  return fc.oneof(...choices);
}

/** JSON nested `n` levels deep: a parser or validator that recurses overflows its stack. */
const nested = (n: number, key = 'title') => `{"${key}":${'['.repeat(n)}${']'.repeat(n)}}`;

/** Raw bodies that are not what their content type says, or that attack the parser. */
export const RAW_BODIES = [
  '', ' ', '\n', '{', '[', 'null', 'true', '"str"', '{"a":1,"a":2}', '\ufeff{}', '{"title":"x"}garbage', '['.repeat(10_000),
  nested(3_000), nested(10_000), nested(10_000, 'email'), `{"__proto__":{"admin":true}}`, '{"title":"\\ud800"}',
];
