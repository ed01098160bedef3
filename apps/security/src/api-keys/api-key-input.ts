import { isPermission } from '@aether/auth';
import { Violations } from '@aether/service-kit';

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
  const v = new Violations();
  const name = v.requiredText('name', input.name, API_KEY_NAME_MAX);

  const scopes = [...new Set((input.scopes ?? []).map((s) => s.trim()))];
  if (scopes.length > API_KEY_SCOPES_MAX) v.add('scopes', `at most ${API_KEY_SCOPES_MAX} scopes`);
  for (const scope of scopes) {
    if (!isPermission(scope)) v.add('scopes', `unknown scope "${scope}"`);
    else if (!ownerPerms.includes(scope)) v.add('scopes', `scope "${scope}" is not granted to you`);
  }

  let expiresAt: Date | null = null;
  if (input.expiresAt) {
    const t = v.date('expiresAt', input.expiresAt, { dateOnly: false });
    if (t && t.getTime() <= now.getTime()) v.add('expiresAt', 'must be in the future');
    else if (t) expiresAt = t;
  }

  v.throwIfAny('Invalid API key');
  return { name: name!, scopes, expiresAt };
}
