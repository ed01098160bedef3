import { isPermission } from '@aether/auth';
import type { FieldViolation } from '@aether/service-kit';
import { ValidationError } from '@aether/service-kit';

export const API_KEY_NAME_MAX = 100;
export const API_KEY_SCOPES_MAX = 50;

export interface ApiKeyInput {
  name?: string;
  scopes?: string[];
  /** ISO-8601; empty = never expires. */
  expiresAt?: string;
}

export interface ValidApiKeyInput {
  name: string;
  scopes: string[];
  expiresAt: Date | null;
}

/**
 * Scopes are permission strings the owner holds now (a key can only narrow, never widen);
 * none means "everything the owner may do". Expiry must lie in the future.
 */
export function validateApiKeyInput(input: ApiKeyInput, ownerPerms: readonly string[], now: Date): ValidApiKeyInput {
  const violations: FieldViolation[] = [];
  const name = (input.name ?? '').trim();
  if (!name) violations.push({ field: 'name', message: 'is required' });
  else if (name.length > API_KEY_NAME_MAX) violations.push({ field: 'name', message: `must be at most ${API_KEY_NAME_MAX} characters` });

  const scopes = [...new Set((input.scopes ?? []).map((s) => s.trim()))];
  if (scopes.length > API_KEY_SCOPES_MAX) violations.push({ field: 'scopes', message: `at most ${API_KEY_SCOPES_MAX} scopes` });
  for (const scope of scopes) {
    if (!isPermission(scope)) violations.push({ field: 'scopes', message: `unknown scope "${scope}"` });
    else if (!ownerPerms.includes(scope)) violations.push({ field: 'scopes', message: `scope "${scope}" is not granted to you` });
  }

  let expiresAt: Date | null = null;
  if (input.expiresAt) {
    const t = Date.parse(input.expiresAt);
    if (Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}T/.test(input.expiresAt)) {
      violations.push({ field: 'expiresAt', message: 'must be an ISO-8601 date-time' });
    } else if (t <= now.getTime()) {
      violations.push({ field: 'expiresAt', message: 'must be in the future' });
    } else {
      expiresAt = new Date(t);
    }
  }

  if (violations.length) throw new ValidationError('Invalid API key', violations);
  return { name, scopes, expiresAt };
}
