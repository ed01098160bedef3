import { readFileSync } from 'node:fs';
import type * as Yaml from 'yaml';
import { ValidationError } from '@aether/service-kit';
import type { RouteSettings } from './route';
import { checkPrefix, checkSettings, isReservedPath } from './route-rules';

export interface SeedRoute {
  prefix: string;
  settings: RouteSettings;
}

/**
 * The contract's default table: one `new` route per prefix the gateway's own controllers serve
 * (their base paths under /api and /v1, e.g. /api/v1/tasks) and a catch-all `/` → legacy.
 */
export function defaultSeed(controllerPaths: readonly string[]): SeedRoute[] {
  const prefixes = new Set<string>();
  for (const raw of controllerPaths) {
    const prefix = `/${raw.replace(/^\/+|\/+$/g, '')}`;
    if (!/^\/(api|v1)(\/|$)/.test(prefix) || isReservedPath(prefix) || prefix.includes(':')) continue;
    prefixes.add(prefix);
  }
  return [
    ...[...prefixes].sort().map((prefix) => ({ prefix, settings: { target: 'new' as const, rolloutPercent: 100, shadow: 'off' as const, ignorePaths: [] } })),
    { prefix: '/', settings: { target: 'legacy', rolloutPercent: 0, shadow: 'off', ignorePaths: [] } },
  ];
}

/** Why a ROUTES_FILE cannot seed the table (the gateway stops at start-up naming the entry). */
export class RoutesFileError extends Error {}

/**
 * ROUTES_FILE: YAML `routes: [{prefix, target, rolloutPercent?, shadow?, ignorePaths?}]`, each
 * entry checked by the same rules as the admin API.
 */
export function readRoutesFile(path: string, legacyConfigured: boolean): SeedRoute[] {
  let doc: unknown;
  try {
    // The YAML parser is loaded only when a ROUTES_FILE is read.
    doc = (require('yaml') as typeof Yaml).parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new RoutesFileError(`ROUTES_FILE ${path} cannot be read as YAML: ${(e as Error).message}`);
  }
  const routes = (doc as { routes?: unknown } | null)?.routes;
  if (!Array.isArray(routes)) throw new RoutesFileError(`ROUTES_FILE ${path} must hold "routes:" with a list of {prefix, target, ...}`);
  const seen = new Set<string>();
  return routes.map((entry: unknown, i) => {
    try {
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw new ValidationError('not an object', [{ field: `routes.${i}`, message: 'must be {prefix, target, ...}' }]);
      const e = entry as Record<string, unknown>;
      const unknown = Object.keys(e).filter((k) => !['prefix', 'target', 'rolloutPercent', 'shadow', 'ignorePaths'].includes(k));
      if (unknown.length) throw new ValidationError('unknown fields', unknown.map((k) => ({ field: `routes.${i}.${k}`, message: 'is not a route field' })));
      const prefix = checkPrefix(e.prefix);
      if (seen.has(prefix)) throw new ValidationError('duplicate', [{ field: `routes.${i}.prefix`, message: `${prefix} is listed twice` }]);
      seen.add(prefix);
      return { prefix, settings: checkSettings(e, legacyConfigured, `routes.${i}.`) };
    } catch (err) {
      if (err instanceof ValidationError) {
        const what = err.violations.map((v) => `${v.field.startsWith('routes.') ? v.field : `routes.${i}.${v.field}`} ${v.message}`).join('; ');
        throw new RoutesFileError(`ROUTES_FILE ${path}: ${what}`);
      }
      throw err;
    }
  });
}
