import {
  effectivePermissions,
  isPermission,
  isRole,
  PERMISSIONS,
  permissionsForRoles,
  ROLE_PERMISSIONS,
  unknownScopes,
} from './roles';

describe('roles and permissions', () => {
  it('gives admin every permission', () => {
    expect(permissionsForRoles(['admin'])).toEqual([...PERMISSIONS]);
  });

  it('lets a developer work on own things but not administer', () => {
    const dev = permissionsForRoles(['developer']);
    expect(dev).toEqual(
      expect.arrayContaining(['tasks:read', 'tasks:write', 'ai:use', 'code:use', 'rag:read', 'rag:write', 'analytics:read', 'apikeys:manage']),
    );
    for (const adminOnly of ['users:manage', 'audit:read', 'analytics:read:all', 'tasks:read:all', 'docker:manage', 'routes:manage', 'integrations:manage']) {
      expect(dev).not.toContain(adminOnly);
    }
  });

  it('keeps a viewer read-only', () => {
    const viewer = permissionsForRoles(['viewer']);
    expect(viewer.length).toBeGreaterThan(0);
    expect(viewer.every((p) => p.split(':')[1] === 'read')).toBe(true);
    expect(viewer).not.toContain('analytics:read:all');
  });

  it('unions several roles without duplicates and ignores unknown roles', () => {
    expect(permissionsForRoles(['viewer', 'developer', 'root'])).toEqual(permissionsForRoles(['developer']));
    expect(permissionsForRoles(['root'])).toEqual([]);
  });

  it('maps only to known permissions', () => {
    for (const perms of Object.values(ROLE_PERMISSIONS)) expect(perms.every(isPermission)).toBe(true);
  });

  it('recognises roles and permissions', () => {
    expect(isRole('admin')).toBe(true);
    expect(isRole('Admin')).toBe(false);
    expect(isRole(42)).toBe(false);
    expect(isPermission('tasks:read')).toBe(true);
    expect(isPermission('tasks:*')).toBe(false);
  });

  describe('API key scope narrowing', () => {
    const dev = permissionsForRoles(['developer']);

    it('treats empty or absent scopes as all of the owner permissions', () => {
      expect(effectivePermissions(dev, [])).toEqual(dev);
      expect(effectivePermissions(dev, undefined)).toEqual(dev);
    });

    it('narrows to the scopes the owner actually has', () => {
      expect(effectivePermissions(dev, ['tasks:read', 'ai:use'])).toEqual(['tasks:read', 'ai:use']);
    });

    it('never grants a scope beyond the owner permissions', () => {
      expect(effectivePermissions(dev, ['tasks:read', 'users:manage'])).toEqual(['tasks:read']);
      expect(effectivePermissions(permissionsForRoles(['viewer']), ['tasks:write'])).toEqual([]);
    });

    it('lists scopes that are not permissions', () => {
      expect(unknownScopes(['tasks:read', 'tasks:*', 'root'])).toEqual(['tasks:*', 'root']);
    });
  });
});
