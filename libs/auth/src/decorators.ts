import { SetMetadata } from '@nestjs/common';
import { isPermission, type Permission } from './roles';

/** Metadata keys shared by GrpcAuthGuard, PermissionsGuard and the gateway's own guard. */
export const IS_PUBLIC_KEY = 'aether:auth:public';
export const REQUIRED_PERMISSIONS_KEY = 'aether:auth:permissions';

/** Lets a handler (or every handler of a controller) through without a token. */
export const Public = () => SetMetadata(IS_PUBLIC_KEY, true);

/**
 * Every listed permission is required (class-level and method-level lists add up).
 * Unknown strings fail at load time, not at the first request.
 */
export function RequirePermissions(...permissions: Permission[]) {
  const unknown = permissions.filter((p) => !isPermission(p));
  if (unknown.length > 0) throw new Error(`RequirePermissions: unknown permission ${unknown.join(', ')}`);
  return SetMetadata(REQUIRED_PERMISSIONS_KEY, permissions);
}
