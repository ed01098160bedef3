import { permissionsForRoles } from '@aether/auth';
import { NotFoundError, UnauthenticatedError, ValidationError } from '@aether/service-kit';
import { createHash } from 'node:crypto';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { ApiKeysService } from '../src/api-keys/api-keys.service';
import { SigningKeys } from '../src/keys/signing-keys';
import { UsersService } from '../src/users/users.service';
import { createSecurityTestApp, type SecurityTestApp } from './support/security-test-app';

describe('API keys (PostgreSQL)', () => {
  let app: SecurityTestApp;
  let apiKeys: ApiKeysService;
  let owner: { userId: string; permissions: string[] };

  beforeAll(async () => {
    app = await createSecurityTestApp({ API_KEY_TOKEN_TTL_SECONDS: 300 });
    apiKeys = app.module.get(ApiKeysService);
    const user = await app.module.get(UsersService).register({ email: 'keys@example.com', password: 'correct horse battery', name: 'K' });
    owner = { userId: user.id, permissions: permissionsForRoles(user.roles) };
  });
  afterAll(() => app?.close());

  const verify = (token: string) => jwtVerify(token, createLocalJWKSet(app.module.get(SigningKeys).jwks()));

  it('creates a key shown once and stores only its SHA-256 and a display prefix', async () => {
    const { apiKey, key } = await apiKeys.create(owner, { name: 'ci', scopes: ['tasks:read'] });
    expect(key).toMatch(/^ak_/);
    expect(apiKey.prefix).toBe(key.slice(0, 11));

    const [row] = await app.db.query(`SELECT * FROM api_keys WHERE id = $1`, [apiKey.id]);
    expect(row.key_hash).toBe(createHash('sha256').update(key).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(key);

    const [event] = (await app.outbox('security.apikey.created')).filter((e) => e.payload.data.apiKey.id === apiKey.id);
    expect(event.subject).toBe(owner.userId);
    expect(event.payload.data.apiKey).toMatchObject({ name: 'ci', scopes: ['tasks:read'], prefix: apiKey.prefix });
    expect(JSON.stringify(event.payload)).not.toContain(key);
    expect(JSON.stringify(event.payload)).not.toContain(row.key_hash);
  });

  it('lists the owner’s keys newest first, without secrets', async () => {
    const a = await apiKeys.create(owner, { name: 'list-a' });
    app.clock.advance(1);
    const b = await apiKeys.create(owner, { name: 'list-b' });
    const page = await apiKeys.list(owner.userId, { limit: 100 });
    const names = page.items.map((k) => k.name);
    expect(names.indexOf('list-b')).toBeLessThan(names.indexOf('list-a'));
    expect(JSON.stringify(page)).not.toContain(a.key);
    expect(JSON.stringify(page)).not.toContain(b.key);
    expect(await apiKeys.list('00000000-0000-4000-8000-000000000000')).toEqual({ items: [], nextCursor: '' });
  });

  it('exchanges a key for a short-lived token with akid and perms narrowed to its scopes', async () => {
    const { apiKey, key } = await apiKeys.create(owner, { name: 'narrow', scopes: ['tasks:read', 'ai:use'] });
    const auth = await apiKeys.authenticate(key);
    expect(auth).toMatchObject({ userId: owner.userId, apiKeyId: apiKey.id, expiresIn: 300 });
    const { payload } = await verify(auth.accessToken);
    expect(payload).toMatchObject({ sub: owner.userId, akid: apiKey.id, perms: ['tasks:read', 'ai:use'] });
    expect(payload.exp! - payload.iat!).toBe(300);

    const [row] = await app.db.query(`SELECT last_used_at FROM api_keys WHERE id = $1`, [apiKey.id]);
    expect(row.last_used_at).not.toBeNull();
  });

  it('a key without scopes carries all of the owner’s permissions; a role downgrade narrows existing keys', async () => {
    const users = app.module.get(UsersService);
    const u = await users.register({ email: 'narrowing@example.com', password: 'correct horse battery', name: 'N' });
    const { key } = await apiKeys.create({ userId: u.id, permissions: permissionsForRoles(u.roles) }, { name: 'all' });
    expect((await verify((await apiKeys.authenticate(key)).accessToken)).payload.perms).toEqual(permissionsForRoles(['developer']));
    await users.setRoles(u.id, u.id, ['viewer']);
    expect((await verify((await apiKeys.authenticate(key)).accessToken)).payload.perms).toEqual(permissionsForRoles(['viewer']));
  });

  it('a key made by a key-authenticated caller without scopes gets that caller’s scopes, never the whole role', async () => {
    const parent = await apiKeys.create(owner, { name: 'parent', scopes: ['apikeys:manage', 'tasks:read'] });
    const narrowed = { userId: owner.userId, permissions: ['apikeys:manage', 'tasks:read'], viaApiKeyId: parent.apiKey.id };
    const { apiKey, key } = await apiKeys.create(narrowed, { name: 'child' });
    expect(apiKey.scopes).toEqual(['apikeys:manage', 'tasks:read']);
    expect(apiKey.expiresAt).toBeNull(); // the parent never expires either
    expect((await verify((await apiKeys.authenticate(key)).accessToken)).payload.perms).toEqual(['tasks:read', 'apikeys:manage']);
  });

  it('a key made by a key never outlives it', async () => {
    const expiresAt = new Date(app.clock.now().getTime() + 86_400_000);
    const parent = await apiKeys.create(owner, { name: 'short-lived', scopes: ['apikeys:manage'], expiresAt: expiresAt.toISOString() });
    const caller = { userId: owner.userId, permissions: ['apikeys:manage'], viaApiKeyId: parent.apiKey.id };
    expect((await apiKeys.create(caller, { name: 'inherits' })).apiKey.expiresAt).toEqual(expiresAt);
    const sooner = new Date(expiresAt.getTime() - 60_000);
    expect((await apiKeys.create(caller, { name: 'sooner', expiresAt: sooner.toISOString() })).apiKey.expiresAt).toEqual(sooner);
    const later = new Date(expiresAt.getTime() + 60_000).toISOString();
    await expect(apiKeys.create(caller, { name: 'later', expiresAt: later })).rejects.toBeInstanceOf(ValidationError);
  });

  it('refuses scopes the owner does not hold, unknown scopes and past expiry', async () => {
    await expect(apiKeys.create(owner, { name: 'x', scopes: ['users:manage'] })).rejects.toBeInstanceOf(ValidationError);
    await expect(apiKeys.create(owner, { name: 'x', scopes: ['nope'] })).rejects.toBeInstanceOf(ValidationError);
    await expect(apiKeys.create(owner, { name: 'x', expiresAt: '2000-01-01T00:00:00Z' })).rejects.toBeInstanceOf(ValidationError);
  });

  it('revoke stops the key at once; revoking again or someone else’s key is 404', async () => {
    const { apiKey, key } = await apiKeys.create(owner, { name: 'revoke-me' });
    await expect(apiKeys.authenticate(key)).resolves.toBeTruthy();
    await expect(apiKeys.revoke('00000000-0000-4000-8000-000000000000', apiKey.id)).rejects.toBeInstanceOf(NotFoundError);
    await apiKeys.revoke(owner.userId, apiKey.id);

    const err = await apiKeys.authenticate(key).catch((e) => e);
    expect(err).toBeInstanceOf(UnauthenticatedError);
    expect(err.code).toBe('API_KEY_INVALID');
    await expect(apiKeys.revoke(owner.userId, apiKey.id)).rejects.toBeInstanceOf(NotFoundError);
    expect((await apiKeys.list(owner.userId, { limit: 100 })).items.map((k) => k.id)).not.toContain(apiKey.id);

    const events = (await app.outbox('security.apikey.revoked')).filter((e) => e.payload.data.apiKeyId === apiKey.id);
    expect(events).toHaveLength(1);
    expect(events[0].subject).toBe(owner.userId);
  });

  it('expired, unknown and malformed keys are API_KEY_INVALID', async () => {
    const expiresAt = new Date(app.clock.now().getTime() + 60_000).toISOString();
    const { key } = await apiKeys.create(owner, { name: 'short-lived', expiresAt });
    await expect(apiKeys.authenticate(key)).resolves.toBeTruthy();
    app.clock.advance(61);
    for (const k of [key, 'ak_' + 'A'.repeat(43), 'not-a-key', '']) {
      const err = await apiKeys.authenticate(k).catch((e) => e);
      expect(err.code).toBe('API_KEY_INVALID');
    }
  });
});
