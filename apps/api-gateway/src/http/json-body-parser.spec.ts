import { JsonTooDeepError, MAX_JSON_DEPTH, jsonNestsDeeperThan } from './json-body-parser';
import { canonicalJson } from '../idempotency/idempotency.store';

const nest = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('jsonNestsDeeperThan', () => {
  it('counts arrays and objects alike, up to and over the bound', () => {
    expect(jsonNestsDeeperThan(nest(3), 3)).toBe(false);
    expect(jsonNestsDeeperThan(nest(4), 3)).toBe(true);
    expect(jsonNestsDeeperThan('{"a":{"b":[{}]}}', 4)).toBe(false);
    expect(jsonNestsDeeperThan('{"a":{"b":[{}]}}', 3)).toBe(true);
  });

  it('measures the deepest point, not the number of containers', () => {
    expect(jsonNestsDeeperThan(`[${Array.from({ length: 10_000 }, () => '[1]').join(',')}]`, 2)).toBe(false);
  });

  it('treats brackets inside strings as text, escaped quotes included', () => {
    expect(jsonNestsDeeperThan(`{"a":"${'['.repeat(100)}"}`, 1)).toBe(false);
    expect(jsonNestsDeeperThan(`{"a":"\\"${'{'.repeat(100)}"}`, 1)).toBe(false);
    expect(jsonNestsDeeperThan(`{"a":"\\\\","b":[[1]]}`, 2)).toBe(true); // the string ends after the escaped backslash
  });

  it('scans a million levels without recursion', () => {
    expect(jsonNestsDeeperThan(nest(1_000_000), MAX_JSON_DEPTH)).toBe(true);
  });
});

describe('canonicalJson depth', () => {
  const deep = (depth: number) => {
    let v: unknown = 1;
    for (let i = 0; i < depth; i++) v = [v];
    return v;
  };

  it('fingerprints what the parser lets through and refuses deeper values instead of overflowing', () => {
    expect(canonicalJson(deep(MAX_JSON_DEPTH))).toBe(nest(MAX_JSON_DEPTH).replace('[]', '[1]'));
    expect(() => canonicalJson(deep(MAX_JSON_DEPTH + 1))).toThrow(JsonTooDeepError);
    expect(() => canonicalJson(deep(100_000))).toThrow(JsonTooDeepError);
  });
});
