import { ValidationError, type FieldViolation } from '@aether/service-kit';
import { SHADOW_MODES, SIDES, type RouteSettings, type ShadowMode, type Side } from './route';

export const MAX_PREFIX_LENGTH = 200;
export const MAX_IGNORE_PATHS = 50;
export const MAX_IGNORE_PATH_LENGTH = 200;

/**
 * Paths the gateway always answers itself, whatever the table says: probes, metrics, docs, keys,
 * the migration console and its API. A table mistake (say `/` → legacy) can then never lock the
 * operator out of the switch that undoes it.
 */
export const RESERVED_PREFIXES: readonly string[] = [
  '/healthz',
  '/readyz',
  '/metrics',
  '/docs',
  '/.well-known',
  '/admin',
  '/api/v1/admin/routes',
];

/** Path segments: RFC 3986 pchar, no dot segments, no empty segments, no query or fragment. */
const SEGMENT = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})+$/;
const IGNORE_PATH = /^(?:[A-Za-z0-9_$-]+|\*)(?:\.(?:[A-Za-z0-9_$-]+|\*))*$/;

/** True when `path` is `prefix` itself or below it on a segment boundary (`/a/b` is under `/a`, `/ab` is not). */
export function isUnderPrefix(path: string, prefix: string): boolean {
  if (prefix === '/') return path.startsWith('/');
  return path === prefix || (path.startsWith(prefix) && path.charCodeAt(prefix.length) === 0x2f /* / */);
}

export function isReservedPath(path: string): boolean {
  return RESERVED_PREFIXES.some((r) => isUnderPrefix(path, r));
}

function prefixViolation(prefix: unknown): string | undefined {
  if (typeof prefix !== 'string') return 'must be a string';
  if (prefix.length === 0 || prefix.length > MAX_PREFIX_LENGTH) return `must be 1 to ${MAX_PREFIX_LENGTH} characters`;
  if (prefix === '/') return undefined;
  if (!prefix.startsWith('/') || prefix.endsWith('/')) return 'must start with "/" and not end with "/" (e.g. "/api/v1/chat"), or be "/"';
  const segments = prefix.slice(1).split('/');
  if (segments.some((s) => s === '.' || s === '..' || !SEGMENT.test(s))) return 'must be a plain URL path (no empty, "." or ".." segments, no query, fragment or spaces)';
  if (RESERVED_PREFIXES.some((r) => isUnderPrefix(prefix, r))) return `is served by the gateway itself and cannot be routed (${RESERVED_PREFIXES.join(', ')})`;
  return undefined;
}

/** A route's prefix as stored (checked; ValidationError naming `prefix` otherwise). */
export function checkPrefix(prefix: unknown): string {
  const problem = prefixViolation(prefix);
  if (problem) throw new ValidationError('The route is not valid', [{ field: 'prefix', message: problem }]);
  return prefix as string;
}

export interface SettingsInput {
  target?: unknown;
  rolloutPercent?: unknown;
  shadow?: unknown;
  ignorePaths?: unknown;
}

/**
 * Full settings from a POST/PUT body or a ROUTES_FILE entry: omitted fields take their defaults
 * (rollout 0 for legacy, 100 for new; shadow off; no ignored paths). A PUT replaces the route's
 * settings as a whole, so what it leaves out is reset, as PUT means. `legacyConfigured` is
 * whether LEGACY_API_URL is set: nothing may be sent to a monolith the gateway does not know.
 */
export function checkSettings(input: SettingsInput, legacyConfigured: boolean, fieldPrefix = ''): RouteSettings {
  const violations: FieldViolation[] = [];
  const field = (name: string) => `${fieldPrefix}${name}`;
  const target = input.target;
  if (!SIDES.includes(target as Side)) violations.push({ field: field('target'), message: `must be one of: ${SIDES.join(', ')}` });

  let rolloutPercent = target === 'new' ? 100 : 0;
  if (input.rolloutPercent !== undefined && input.rolloutPercent !== null) {
    const r = input.rolloutPercent;
    if (typeof r !== 'number' || !Number.isInteger(r) || r < 0 || r > 100) {
      violations.push({ field: field('rolloutPercent'), message: 'must be an integer from 0 to 100' });
    } else if (target === 'new' && r !== 100) {
      violations.push({ field: field('rolloutPercent'), message: 'a route with target new serves everyone (100); roll out with target legacy and rolloutPercent' });
    } else {
      rolloutPercent = r;
    }
  }

  let shadow: ShadowMode = 'off';
  if (input.shadow !== undefined && input.shadow !== null) {
    if (!SHADOW_MODES.includes(input.shadow as ShadowMode)) violations.push({ field: field('shadow'), message: `must be one of: ${SHADOW_MODES.join(', ')}` });
    else shadow = input.shadow as ShadowMode;
  }

  let ignorePaths: string[] = [];
  if (input.ignorePaths !== undefined && input.ignorePaths !== null) {
    const p = input.ignorePaths;
    if (!Array.isArray(p) || p.length > MAX_IGNORE_PATHS) {
      violations.push({ field: field('ignorePaths'), message: `must be a list of at most ${MAX_IGNORE_PATHS} paths` });
    } else {
      p.forEach((v, i) => {
        if (typeof v !== 'string' || v.length > MAX_IGNORE_PATH_LENGTH || !IGNORE_PATH.test(v)) {
          violations.push({ field: field(`ignorePaths.${i}`), message: 'must be a dotted JSON path such as "items.*.updatedAt" ("*" matches any key or index)' });
        }
      });
      if (violations.length === 0) ignorePaths = [...new Set(p as string[])];
    }
  }

  const usesLegacy = target === 'legacy' || shadow === 'legacy';
  if (usesLegacy && !legacyConfigured) {
    violations.push({ field: field(target === 'legacy' ? 'target' : 'shadow'), message: 'legacy is not available: LEGACY_API_URL is not set' });
  }
  if (violations.length) throw new ValidationError('The route is not valid', violations);
  return { target: target as Side, rolloutPercent, shadow, ignorePaths };
}
