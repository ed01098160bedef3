import { PermissionDeniedError } from '@aether/service-kit';
import type { Permission, Role } from './roles';

/** The verified caller of a request, built from an access token. */
export interface Principal {
  userId: string;
  email: string;
  roles: Role[];
  permissions: Permission[];
  /** Set when the token was issued for an API key (gateway exchange). */
  apiKeyId?: string;
  /** Refresh-token family of the login the token belongs to. */
  sessionId?: string;
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
