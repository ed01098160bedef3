/** One side's answer as the shadow comparison sees it. */
export interface CapturedAnswer {
  status: number;
  /** Media type only, lower case (`application/json`), '' when absent. */
  contentType: string;
  /** The body, or undefined when it was larger than SHADOW_MAX_BODY_BYTES (then not compared). */
  body?: Buffer;
}

export interface Comparison {
  equal: boolean;
  /** What differs: `status`, `contentType`, `body`, or the JSON paths (`items.0.title`). */
  differences: string[];
}

const MAX_DIFFERENCES = 50;

export function mediaType(contentType: string | string[] | number | undefined): string {
  const v = Array.isArray(contentType) ? contentType[0] : contentType;
  return typeof v === 'string' ? v.split(';')[0].trim().toLowerCase() : '';
}

export function isJsonMediaType(type: string): boolean {
  return type === 'application/json' || type === 'application/problem+json' || type.endsWith('+json');
}

function parseJson(body: Buffer | undefined): { ok: true; value: unknown } | { ok: false } {
  if (!body) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

/** True when dotted `path` (`items.0.id`) is matched by `pattern` (`items.*.id`); a pattern also covers everything below it. */
export function pathMatches(pattern: string, path: string): boolean {
  const p = pattern.split('.');
  const s = path.split('.');
  if (p.length > s.length) return false;
  return p.every((seg, i) => seg === '*' || seg === s[i]);
}

/** `items.3.id` → `items.*.id`: noise found at one index is noise at every index. */
export function generalisePath(path: string): string {
  return path
    .split('.')
    .map((s) => (/^\d+$/.test(s) ? '*' : s))
    .join('.');
}

/** Paths where two JSON values differ, object keys in any order (the normalisation), capped. */
export function jsonDifferences(a: unknown, b: unknown, path = '', out: string[] = []): string[] {
  if (out.length >= MAX_DIFFERENCES) return out;
  const here = path || '$';
  if (a === b) return out;
  const ta = Array.isArray(a) ? 'array' : a === null ? 'null' : typeof a;
  const tb = Array.isArray(b) ? 'array' : b === null ? 'null' : typeof b;
  if (ta !== tb) {
    out.push(here);
    return out;
  }
  if (ta === 'array') {
    const x = a as unknown[];
    const y = b as unknown[];
    if (x.length !== y.length) out.push(path ? `${path}.length` : 'length');
    for (let i = 0; i < Math.min(x.length, y.length); i++) jsonDifferences(x[i], y[i], path ? `${path}.${i}` : String(i), out);
    return out;
  }
  if (ta === 'object') {
    const x = a as Record<string, unknown>;
    const y = b as Record<string, unknown>;
    for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) {
      const child = path ? `${path}.${k}` : k;
      if (!(k in x) || !(k in y)) out.push(child);
      else jsonDifferences(x[k], y[k], child, out);
      if (out.length >= MAX_DIFFERENCES) break;
    }
    return out;
  }
  // Numbers compare by value (1 and 1.0 are the same JSON number).
  out.push(here);
  return out;
}

/**
 * Compares two answers as Diffy and Scientist do: status, media type, then the body — as
 * normalised JSON (key order does not matter) less `ignored` paths when both are JSON, else
 * byte for byte. A body too large to capture is not compared (status and type still are).
 */
export function compareAnswers(primary: CapturedAnswer, candidate: CapturedAnswer, ignored: readonly string[] = []): Comparison {
  const differences: string[] = [];
  if (primary.status !== candidate.status) differences.push('status');
  if (primary.contentType !== candidate.contentType) differences.push('contentType');
  if (primary.body && candidate.body) {
    const a = isJsonMediaType(primary.contentType) ? parseJson(primary.body) : { ok: false as const };
    const b = isJsonMediaType(candidate.contentType) ? parseJson(candidate.body) : { ok: false as const };
    if (a.ok && b.ok) {
      for (const d of jsonDifferences(a.value, b.value)) {
        if (!ignored.some((p) => pathMatches(p, d))) differences.push(d);
      }
    } else if (!primary.body.equals(candidate.body) && !ignored.includes('$')) {
      differences.push('body');
    }
  }
  return { equal: differences.length === 0, differences };
}

/**
 * What differs between two answers of the SAME side to the same request (timestamps, ids,
 * request ids): noise, generalised over array indices. Status and type differences are not
 * noise (a flapping status is a real finding).
 */
export function learnNoise(primary: CapturedAnswer, secondary: CapturedAnswer): string[] {
  return compareAnswers(primary, secondary)
    .differences.filter((d) => d !== 'status' && d !== 'contentType')
    .map((d) => (d === 'body' ? '$' : generalisePath(d === '$' ? '$' : d)));
}

const SECRET_KEY = /pass(word)?|secret|token|api[-_]?key|authorization|cookie|credential|private[-_]?key|^key$/i;
const REDACTED = '[REDACTED]';

/** A copy of a JSON value with every credential-looking member replaced (for mismatch samples). */
export function redactJson(value: unknown, depth = 0): unknown {
  if (depth > 64) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => redactJson(v, depth + 1));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, SECRET_KEY.test(k) ? REDACTED : redactJson(v, depth + 1)]));
  }
  if (typeof value === 'string' && /^(Bearer\s+\S+|ak_[A-Za-z0-9_-]{8,}|eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.test(value)) return REDACTED;
  return value;
}

/** A body as a sample shows it: JSON redacted of credentials, text truncated, binary summarised. */
export function sampleBody(answer: CapturedAnswer, maxChars = 4096): unknown {
  if (!answer.body) return null;
  if (isJsonMediaType(answer.contentType)) {
    const parsed = parseJson(answer.body);
    if (parsed.ok) {
      const text = JSON.stringify(redactJson(parsed.value));
      return text.length <= maxChars ? JSON.parse(text) : `${text.slice(0, maxChars)}…`;
    }
  }
  if (answer.contentType.startsWith('text/')) {
    const text = answer.body.toString('utf8').replace(/(Bearer\s+)\S+/gi, `$1${REDACTED}`);
    return text.length <= maxChars ? text : `${text.slice(0, maxChars)}…`;
  }
  return `<${answer.body.length} bytes of ${answer.contentType || 'unknown type'}>`;
}

/** A path and query as a sample shows it: credential-looking query parameters redacted. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  for (const k of [...params.keys()]) if (SECRET_KEY.test(k)) params.set(k, REDACTED);
  return `${url.slice(0, q)}?${params.toString()}`;
}
