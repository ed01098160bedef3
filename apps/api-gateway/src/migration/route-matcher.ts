import { isUnderPrefix } from './route-rules';
import type { Route } from './route';

/**
 * Longest-prefix match over the route table on segment boundaries: `/api/v1/tasks` matches
 * `/api/v1/tasks` and `/api/v1/tasks/42`, never `/api/v1/tasksx`; `/` matches everything.
 * Built once per table version; a lookup walks the path's own prefixes (one map probe per
 * segment), so its cost does not grow with the number of routes.
 */
export class RouteMatcher {
  private readonly byPrefix = new Map<string, Route>();

  constructor(routes: readonly Route[]) {
    for (const r of routes) this.byPrefix.set(r.prefix, r);
  }

  get size(): number {
    return this.byPrefix.size;
  }

  /** The route serving `path` (no query string), or undefined when none matches. */
  match(path: string): Route | undefined {
    if (this.byPrefix.size === 0 || !path.startsWith('/')) return undefined;
    let candidate = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
    for (;;) {
      const hit = this.byPrefix.get(candidate);
      if (hit && isUnderPrefix(path, hit.prefix)) return hit;
      if (candidate === '/' || candidate === '') return this.byPrefix.get('/');
      const cut = candidate.lastIndexOf('/');
      candidate = cut <= 0 ? '/' : candidate.slice(0, cut);
    }
  }
}

/** The path part of a raw request URL (`/a/b?x=1` → `/a/b`). */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  const h = url.indexOf('#');
  const end = q >= 0 ? q : h >= 0 ? h : url.length;
  return url.slice(0, end) || '/';
}
