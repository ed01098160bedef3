import { ValidationError } from '@aether/service-kit';
import { validateApiKeyInput } from './api-key-input';
import { looksLikeApiKey, newApiKeySecret } from './api-key-secret';
import { createHash } from 'node:crypto';

const now = new Date('2025-01-01T00:00:00.000Z');
const owner = ['tasks:read', 'tasks:write', 'ai:use'];

function fieldsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as ValidationError).violations.map((v) => `${v.field}: ${v.message}`);
  }
  throw new Error('expected a ValidationError');
}

describe('API key input', () => {
  it('accepts a name, deduplicated held scopes and a future expiry', () => {
    expect(validateApiKeyInput({ name: ' ci ', scopes: ['tasks:read', 'tasks:read'], expiresAt: '2025-02-01T00:00:00Z' }, owner, now)).toEqual({
      name: 'ci',
      scopes: ['tasks:read'],
      expiresAt: new Date('2025-02-01T00:00:00Z'),
    });
  });

  it('no scopes and no expiry are allowed (key acts with all of the owner’s permissions, forever)', () => {
    expect(validateApiKeyInput({ name: 'k' }, owner, now)).toEqual({ name: 'k', scopes: [], expiresAt: null });
  });

  it('rejects unknown scopes and scopes the owner does not hold', () => {
    expect(fieldsOf(() => validateApiKeyInput({ name: 'k', scopes: ['tasks:fly', 'users:manage'] }, owner, now))).toEqual([
      'scopes: unknown scope "tasks:fly"',
      'scopes: scope "users:manage" is not granted to you',
    ]);
  });

  it('rejects a missing name and a past or malformed expiry', () => {
    expect(fieldsOf(() => validateApiKeyInput({ name: '', expiresAt: '2024-01-01T00:00:00Z' }, owner, now))).toEqual([
      'name: is required',
      'expiresAt: must be in the future',
    ]);
    expect(fieldsOf(() => validateApiKeyInput({ name: 'k', expiresAt: 'tomorrow' }, owner, now))).toEqual([
      'expiresAt: must be an ISO-8601 date-time',
    ]);
  });
});

describe('API key secrets', () => {
  it('are ak_-prefixed, random, stored as SHA-256 with an 11-char display prefix', () => {
    const a = newApiKeySecret();
    const b = newApiKeySecret();
    expect(a.key).toMatch(/^ak_[A-Za-z0-9_-]{43}$/);
    expect(a.key).not.toBe(b.key);
    expect(a.hash).toBe(createHash('sha256').update(a.key).digest('hex'));
    expect(a.prefix).toBe(a.key.slice(0, 11));
    expect(looksLikeApiKey(a.key)).toBe(true);
    expect(looksLikeApiKey('ak_short')).toBe(false);
    expect(looksLikeApiKey(a.key.replace('ak_', 'sk_'))).toBe(false);
  });
});
