import { UnauthenticatedError, UnavailableError } from '@aether/service-kit';
import { waitFor } from '@aether/testing';
import { JwtAccessTokenVerifier, resolveAuthOptions, type AuthModuleOptions } from '@aether/auth';
import {
  AUDIENCE,
  defaultClaims,
  ISSUER,
  JwksServer,
  newSigningKey,
  signToken,
  type SigningKey,
} from './fixtures/token-issuer';

async function expectUnauthenticated(promise: Promise<unknown>, code: string): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UnauthenticatedError);
  expect((err as UnauthenticatedError).code).toBe(code);
}

function verifierFor(jwksUrl: string, extra: Partial<AuthModuleOptions> = {}) {
  return new JwtAccessTokenVerifier(
    resolveAuthOptions({ issuer: ISSUER, audience: AUDIENCE, jwksUrl, jwksCooldownMs: 0, ...extra }),
  );
}

describe('JwtAccessTokenVerifier with a remote JWKS', () => {
  let jwks: JwksServer;
  let key: SigningKey;

  beforeEach(async () => {
    key = await newSigningKey('key-1');
    jwks = await new JwksServer().start();
    jwks.keys = [key.publicJwk];
  });

  afterEach(() => jwks.stop());

  it('turns a valid token into the principal it names', async () => {
    const token = await signToken(key, {
      claims: { ...defaultClaims(), roles: ['developer', 'nonsense'], perms: ['tasks:read', 'ai:use'] },
    });
    const principal = await verifierFor(jwks.url).verify(token);
    expect(principal).toEqual({
      userId: 'user-1',
      email: 'dev@example.com',
      roles: ['developer'],
      permissions: ['tasks:read', 'ai:use'],
      sessionId: 'family-1',
      accessToken: token,
    });
  });

  it('carries the API key id of an exchanged API-key token', async () => {
    const { sid: _sid, ...claims } = defaultClaims();
    const token = await signToken(key, { claims: { ...claims, akid: 'key-42' } });
    const principal = await verifierFor(jwks.url).verify(token);
    expect(principal.apiKeyId).toBe('key-42');
    expect(principal.sessionId).toBeUndefined();
  });

  it('marks a service token as a service principal (userId service:<id>, no user fields)', async () => {
    const token = await signToken(key, {
      claims: { sub: 'service:code-assistant', svc: 'code-assistant', email: '', roles: [], perms: ['ai:use', 'integrations:github'] },
    });
    const principal = await verifierFor(jwks.url).verify(token);
    expect(principal).toEqual({
      userId: 'service:code-assistant',
      serviceId: 'code-assistant',
      email: '',
      roles: [],
      permissions: ['ai:use', 'integrations:github'],
      accessToken: token,
    });
  });

  it('rejects service tokens that could pass for something else, and service-looking user tokens', async () => {
    const verifier = verifierFor(jwks.url);
    const svc = { sub: 'service:code-assistant', svc: 'code-assistant', email: '', roles: [] as string[], perms: ['ai:use'] };
    for (const claims of [
      { ...svc, sub: 'user-1' }, // a service claiming a user's subject
      { ...svc, roles: ['admin'] }, // a service with a role
      { ...svc, sid: 'family-1' },
      { ...svc, svc: '' },
      { ...defaultClaims(), sub: 'service:code-assistant' }, // no svc claim but a service subject
    ]) {
      await expectUnauthenticated(verifier.verify(await signToken(key, { claims })), 'TOKEN_INVALID');
    }
  });

  it('caches the key set instead of fetching it per request', async () => {
    const verifier = verifierFor(jwks.url);
    const token = await signToken(key);
    await verifier.verify(token);
    await verifier.verify(token);
    await verifier.verify(token);
    expect(jwks.fetches).toBe(1);
  });

  it('rejects a missing token with TOKEN_MISSING', async () => {
    await expectUnauthenticated(verifierFor(jwks.url).verify(''), 'TOKEN_MISSING');
    await expectUnauthenticated(verifierFor(jwks.url).verify(undefined), 'TOKEN_MISSING');
  });

  it('rejects a wrong issuer, a wrong audience and garbage with TOKEN_INVALID', async () => {
    const verifier = verifierFor(jwks.url);
    await expectUnauthenticated(verifier.verify(await signToken(key, { issuer: 'someone-else' })), 'TOKEN_INVALID');
    await expectUnauthenticated(verifier.verify(await signToken(key, { audience: 'other-app' })), 'TOKEN_INVALID');
    await expectUnauthenticated(verifier.verify('not.a.jwt'), 'TOKEN_INVALID');
  });

  it('rejects an expired token with TOKEN_EXPIRED but tolerates a little clock skew', async () => {
    const verifier = verifierFor(jwks.url, { clockToleranceSec: 5 });
    const now = Math.floor(Date.now() / 1000);
    await expectUnauthenticated(verifier.verify(await signToken(key, { expiresIn: now - 60 })), 'TOKEN_EXPIRED');
    await expect(verifier.verify(await signToken(key, { expiresIn: now - 2 }))).resolves.toMatchObject({
      userId: 'user-1',
    });
  });

  it('rejects a tampered payload and a token signed by a key outside the set', async () => {
    const verifier = verifierFor(jwks.url);
    const [header, , signature] = (await signToken(key)).split('.');
    const forgedPayload = Buffer.from(
      JSON.stringify({ ...defaultClaims(), roles: ['admin'], iss: ISSUER, aud: AUDIENCE, exp: 9999999999, iat: 1 }),
    ).toString('base64url');
    await expectUnauthenticated(verifier.verify(`${header}.${forgedPayload}.${signature}`), 'TOKEN_INVALID');

    const impostor = await newSigningKey('key-1'); // same kid, different key
    await expectUnauthenticated(verifier.verify(await signToken(impostor)), 'TOKEN_INVALID');
  });

  it('rejects an unknown kid with TOKEN_INVALID', async () => {
    const stranger = await newSigningKey('key-unknown');
    await expectUnauthenticated(verifierFor(jwks.url).verify(await signToken(stranger)), 'TOKEN_INVALID');
  });

  it('rejects alg "none" and tokens lacking the identity claims', async () => {
    const verifier = verifierFor(jwks.url);
    const unsigned = [
      Buffer.from(JSON.stringify({ alg: 'none', kid: 'key-1' })).toString('base64url'),
      Buffer.from(JSON.stringify({ ...defaultClaims(), iss: ISSUER, aud: AUDIENCE, exp: 9999999999, iat: 1 })).toString('base64url'),
      '',
    ].join('.');
    await expectUnauthenticated(verifier.verify(unsigned), 'TOKEN_INVALID');
    const { perms: _perms, ...noPerms } = defaultClaims();
    await expectUnauthenticated(verifier.verify(await signToken(key, { claims: noPerms })), 'TOKEN_INVALID');
  });

  it('accepts a rotated key: an unknown kid triggers a refetch of the JWKS', async () => {
    const verifier = verifierFor(jwks.url, { jwksCooldownMs: 0 });
    await verifier.verify(await signToken(key));
    expect(jwks.fetches).toBe(1);

    const rotated = await newSigningKey('key-2');
    jwks.keys = [key.publicJwk, rotated.publicJwk];
    const principal = await verifier.verify(await signToken(rotated));
    expect(principal.userId).toBe('user-1');
    expect(jwks.fetches).toBe(2);
  });

  it('does not hammer the JWKS endpoint with unknown kids during the cooldown', async () => {
    const verifier = verifierFor(jwks.url, { jwksCooldownMs: 60_000 });
    await verifier.verify(await signToken(key));
    const stranger = await newSigningKey('key-x');
    for (let i = 0; i < 3; i++) {
      await expectUnauthenticated(verifier.verify(await signToken(stranger)), 'TOKEN_INVALID');
    }
    expect(jwks.fetches).toBe(1);
  });

  it('answers UnavailableError, not 401, when the JWKS endpoint refuses connections', async () => {
    const url = jwks.url;
    await jwks.stop();
    const started = Date.now();
    const err = await verifierFor(url).verify(await signToken(key)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('answers UnavailableError within ~1 s when the JWKS endpoint hangs', async () => {
    jwks.hang = true;
    const started = Date.now();
    const err = await verifierFor(jwks.url).verify(await signToken(key)).catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(err).toBeInstanceOf(UnavailableError);
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(1500);
  });

  it('keeps verifying with cached keys while a background refresh fails', async () => {
    const verifier = verifierFor(jwks.url, { jwksRefreshMs: 0 });
    const token = await signToken(key);
    await verifier.verify(token);
    jwks.hang = true; // refresh due on every call, but it must not block or fail verification
    const another = await signToken(key, { expiresIn: '14m' }); // not in the verified-token cache
    const started = Date.now();
    await expect(verifier.verify(another)).resolves.toMatchObject({ userId: 'user-1' });
    expect(Date.now() - started).toBeLessThan(500);
    await waitFor(() => jwks.fetches >= 2, { what: 'the background JWKS refresh', timeoutMs: 2000, intervalMs: 10 });
  });
});

describe('JwtAccessTokenVerifier with a local key set', () => {
  it('verifies against the keys the function returns and follows their changes', async () => {
    const first = await newSigningKey('local-1');
    const second = await newSigningKey('local-2');
    let keys = [first.publicJwk];
    const verifier = new JwtAccessTokenVerifier(
      resolveAuthOptions({ issuer: ISSUER, audience: AUDIENCE, localJwks: async () => ({ keys }) }),
    );
    await expect(verifier.verify(await signToken(first))).resolves.toMatchObject({ userId: 'user-1' });
    await expectUnauthenticated(verifier.verify(await signToken(second)), 'TOKEN_INVALID');
    keys = [first.publicJwk, second.publicJwk];
    await expect(verifier.verify(await signToken(second))).resolves.toMatchObject({ userId: 'user-1' });
  });

  it('reports a failing key loader as UnavailableError', async () => {
    const key = await newSigningKey('local-1');
    const verifier = new JwtAccessTokenVerifier(
      resolveAuthOptions({
        issuer: ISSUER,
        audience: AUDIENCE,
        localJwks: () => Promise.reject(new Error('db down')),
      }),
    );
    await expect(verifier.verify(await signToken(key))).rejects.toBeInstanceOf(UnavailableError);
  });
});

describe('VerifiedTokenCache in the verifier', () => {
  let jwks: JwksServer;
  let key: SigningKey;

  beforeEach(async () => {
    key = await newSigningKey('key-c');
    jwks = await new JwksServer().start();
    jwks.keys = [key.publicJwk];
  });

  afterEach(() => jwks.stop());

  it('verifies a token once, then answers from the cache with an independent copy', async () => {
    const verifier = verifierFor(jwks.url);
    const token = await signToken(key);
    const first = await verifier.verify(token);
    expect(verifier.cache.size).toBe(1);
    await jwks.stop(); // keys unreachable now: only the cache can answer
    const second = await verifier.verify(token);
    expect(second).toEqual(first);
    second.permissions.push('users:manage');
    expect((await verifier.verify(token)).permissions).not.toContain('users:manage');
  });

  it('never caches a rejected token and forgets entries once they expire', async () => {
    const verifier = verifierFor(jwks.url);
    await expectUnauthenticated(verifier.verify(await signToken(key, { issuer: 'intruder' })), 'TOKEN_INVALID');
    expect(verifier.cache.size).toBe(0);

    const token = await signToken(key);
    const principal = await verifier.verify(token);
    const now = Date.now();
    verifier.cache.set(token, principal, now + 1000, now);
    expect(verifier.cache.get(token, now + 500)).toBeDefined();
    expect(verifier.cache.get(token, now + 1001)).toBeUndefined();
    expect(verifier.cache.size).toBe(0);
  });
});
