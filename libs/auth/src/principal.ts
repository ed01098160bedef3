import { PermissionDeniedError } from '@aether/service-kit';
import type { Permission, Role } from './roles';

/**
 * The verified caller of a request, built from an access token. A service calling with a
 * client-credentials token (no user behind the call) is a principal too: `serviceId` is set,
 * `userId` is `service:<serviceId>` (never a user's UUID), email empty, no roles.
 */
export interface Principal {
  userId: string;
  email: string;
  roles: Role[];
  permissions: Permission[];
  /** Set when the token was issued for an API key (gateway exchange). */
  apiKeyId?: string;
  /** Refresh-token family of the login the token belongs to. */
  sessionId?: string;
  /** Set when the caller is a service (client-credentials token), e.g. `code-assistant`. */
  serviceId?: string;
  /** The raw access token, so a service can forward the caller's identity to the next hop. */
  accessToken: string;
}

export function hasPermissions(principal: Principal, required: readonly string[]): boolean {
  return required.every((p) => (principal.permissions as readonly string[]).includes(p));
}

/** Throws PermissionDeniedError unless the principal holds every permission in `required`. */
export function assertPermissions(principal: Principal, required: readonly string[]): void {
  const missing = required.filter((p) => !(principal.permissions as readonly string[]).includes(p));
  if (missing.length > 0) {
    throw new PermissionDeniedError(`Missing permission: ${missing.join(', ')}`);
  }
}

/** The `sub` (and Principal.userId) of a service token: a prefix no user id (a UUID) can have. */
export const SERVICE_SUBJECT_PREFIX = 'service:';

export function serviceSubject(serviceId: string): string {
  return `${SERVICE_SUBJECT_PREFIX}${serviceId}`;
}

export function isServicePrincipal(principal: Principal): boolean {
  return principal.serviceId !== undefined;
}
