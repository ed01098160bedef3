/**
 * Rules for free text a service stores (PostgreSQL text/varchar, MongoDB strings) and echoes
 * back: it must round-trip exactly, so what cannot be stored as sent is refused (400), never
 * altered.
 */

// In a `u` regex a surrogate range matches only surrogates that are not part of a pair.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * Length in Unicode code points, the way PostgreSQL's varchar(n) and clients count: `'😀'.length`
 * is 2 UTF-16 units, but one character.
 */
export function charLength(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}

/**
 * A well-formed UTF-16 string: no lone surrogate. One cannot be encoded as UTF-8, so protobuf,
 * JSON encoders and PostgreSQL would store U+FFFD (or fail) instead of what was sent.
 */
export function isWellFormedText(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}

export interface TextRule {
  /** Most characters (code points) allowed. */
  max: number;
  /** Fewest characters; 1 means "required, not blank" when combined with trimming by the caller. */
  min?: number;
}

/**
 * Why `value` is not acceptable free text, or undefined when it is: a lone surrogate, a NUL
 * (which a PostgreSQL text value cannot hold: the insert would fail with 22021), or a length in
 * code points outside [min, max].
 */
export function textProblem(value: string, rule: TextRule): string | undefined {
  if (!isWellFormedText(value)) return 'must be well-formed Unicode (no unpaired surrogate \\uD800-\\uDFFF)';
  if (value.includes('\u0000')) return 'must not contain NUL (\\u0000) characters';
  const n = charLength(value);
  if (rule.min !== undefined && n < rule.min) return rule.min === 1 ? 'is required' : `must be at least ${rule.min} characters`;
  if (n > rule.max) return `must be at most ${rule.max} characters`;
  return undefined;
}

/**
 * JSON path (`title`, `items[2].name`, a key itself) of the first string — key or value —
 * inside `value` that is not well-formed, or undefined. For edges that receive JSON: a lone
 * surrogate cannot cross gRPC or reach a store intact. Iterative, so any depth is safe.
 */
export function findMalformedText(value: unknown): string | undefined {
  const stack: { v: unknown; path: string }[] = [{ v: value, path: '' }];
  while (stack.length) {
    const { v, path } = stack.pop()!;
    if (typeof v === 'string') {
      if (!isWellFormedText(v)) return path || '(body)';
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: `${path}[${i}]` });
    } else if (v && typeof v === 'object') {
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i];
        const childPath = path ? `${path}.${key}` : key;
        if (!isWellFormedText(key)) return childPath;
        stack.push({ v: (v as Record<string, unknown>)[key], path: childPath });
      }
    }
  }
  return undefined;
}
