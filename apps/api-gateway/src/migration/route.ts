/** Who serves a request: the Nest services (`new`) or the monolith behind LEGACY_API_URL (`legacy`). */
export const SIDES = ['new', 'legacy'] as const;
export type Side = (typeof SIDES)[number];

/** Which side also receives safe requests for comparison (`off`: none). */
export const SHADOW_MODES = ['off', 'legacy', 'new'] as const;
export type ShadowMode = (typeof SHADOW_MODES)[number];

/** What an administrator sets on a route (POST and PUT bodies, ROUTES_FILE entries). */
export interface RouteSettings {
  target: Side;
  /**
   * Share of callers (0–100) served by `new` while the target is `legacy`, sticky per caller.
   * A `new` route serves everyone (100).
   */
  rolloutPercent: number;
  shadow: ShadowMode;
  /** Dotted JSON paths (`*` matches any key or index) left out of the shadow comparison. */
  ignorePaths: string[];
}

/** One row of the route table, as the admin API and the route.changed event show it. */
export interface Route extends RouteSettings {
  id: string;
  prefix: string;
  version: number;
  updatedAt: string;
  /** Administrator who made this version; null when seeded at start-up. */
  updatedBy: string | null;
}

/** The whole table as a replica serves it: `version` grows with every change. */
export interface RouteTableSnapshot {
  version: number;
  routes: readonly Route[];
}
