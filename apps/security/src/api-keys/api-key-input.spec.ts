import { violationsOf } from '@aether/testing';
import { validateApiKeyInput } from './api-key-input';
import { looksLikeApiKey, newApiKeySecret } from './api-key-secret';
import { createHash } from 'node:crypto';

const now = new Date('2025-01-01T00:00:00.000Z');
const owner = ['tasks:read', 'tasks:write', 'ai:use'];

const fieldsOf = (fn: () => unknown): string[] => violationsOf(fn).map((v) => `${v.field}: ${v.message}`);

describe('API key input', () => {
  it('accepts a name, deduplicated held scopes and a future expiry', () => {
    expect(validateApiKeyInput({ name: ' ci ', scopes: ['tasks:read', 'tasks:read'], expiresAt: '2025-02-01T00:00:00Z' }, owner, now)).toEqual({
      name: ' ci ',
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
      'expiresAt: must be an ISO-8601 date-time with a time zone, e.g. 2030-01-31T17:00:00Z',
    ]);
    // A time without a zone would be read in the server's zone; a bare date is no instant either.
    for (const expiresAt of ['2025-02-01T00:00:00', '2025-02-01', '2025-02-30T00:00:00Z']) {
      expect(fieldsOf(() => validateApiKeyInput({ name: 'k', expiresAt }, owner, now))).toHaveLength(1);
    }
  });

  it('refuses names PostgreSQL cannot store as sent (NUL, lone surrogate) and counts characters, not UTF-16 units', () => {
    expect(fieldsOf(() => validateApiKeyInput({ name: 'ci\u0000key' }, owner, now))).toEqual(['name: must not contain NUL (\\u0000) characters']);
    expect(fieldsOf(() => validateApiKeyInput({ name: 'ci\ud800key' }, owner, now))[0]).toMatch(/^name: must be well-formed Unicode/);
    expect(validateApiKeyInput({ name: '😀'.repeat(100) }, owner, now).name).toBe('😀'.repeat(100));
    expect(fieldsOf(() => validateApiKeyInput({ name: '😀'.repeat(101) }, owner, now))).toEqual(['name: must be at most 100 characters']);
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
