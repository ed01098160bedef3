/**
 * Roles, permissions and the role → permission map. The security service puts the permissions of
 * a login (or of an API key, narrowed by its scopes) into the access token's `perms` claim; every
 * other service only checks permission strings, never role names, so the map lives here once.
 */

export const ROLES = ['admin', 'developer', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  'tasks:read', // own or assigned tasks and schedules
  'tasks:write',
  'tasks:read:all', // every user's tasks (admin)
  'tasks:write:all',
  'analytics:read', // figures about oneself
  'analytics:read:all', // everyone's figures, `userId` filter, raw events (admin)
  'users:manage',
  'audit:read',
  'apikeys:manage', // one's own API keys
  'ai:use',
  'code:use',
  'rag:read',
  'rag:write',
  'integrations:manage',
  'integrations:github', // act on GitHub through a connection's token (service clients such as code-assistant; admin)
  'docker:read', // list, inspect, logs and stats of the allow-listed containers
  'docker:manage', // start, stop, restart them
  'routes:manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const ROLE_SET: ReadonlySet<string> = new Set(ROLES);
const PERMISSION_SET: ReadonlySet<string> = new Set(PERMISSIONS);

export function isRole(x: unknown): x is Role {
  return typeof x === 'string' && ROLE_SET.has(x);
}

export function isPermission(x: unknown): x is Permission {
  return typeof x === 'string' && PERMISSION_SET.has(x);
}

export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = Object.freeze({
  admin: PERMISSIONS,
  developer: [
    'tasks:read',
    'tasks:write',
    'analytics:read',
    'apikeys:manage',
    'ai:use',
    'code:use',
    'rag:read',
    'rag:write',
    'docker:read',
  ],
  viewer: ['tasks:read', 'analytics:read', 'rag:read'],
});

/** Union of the permissions of `roles`, in PERMISSIONS order; unknown role names are ignored. */
export function permissionsForRoles(roles: readonly string[]): Permission[] {
  const granted = new Set<Permission>();
  for (const role of roles) {
    if (isRole(role)) ROLE_PERMISSIONS[role].forEach((p) => granted.add(p));
  }
  return PERMISSIONS.filter((p) => granted.has(p));
}

/**
 * Permissions an API key actually carries: its scopes intersected with what its owner may do now
 * (so a later role downgrade also narrows existing keys). Empty/absent scopes mean "everything the
 * owner may do". A non-empty scope list that shares nothing with the owner yields no permissions.
 */
export function effectivePermissions(
  rolePerms: readonly string[],
  scopes?: readonly string[] | null,
): Permission[] {
  const owner = rolePerms.filter(isPermission);
  if (!scopes || scopes.length === 0) return PERMISSIONS.filter((p) => owner.includes(p));
  const wanted = new Set(scopes);
  return PERMISSIONS.filter((p) => owner.includes(p) && wanted.has(p));
}

/** Scope strings that are not permissions (the security service rejects them with a 400). */
export function unknownScopes(scopes: readonly string[]): string[] {
  return scopes.filter((s) => !isPermission(s));
}
