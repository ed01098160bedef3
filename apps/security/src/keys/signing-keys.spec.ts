import { calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Clock } from '../config/clock';
import { SecurityEnv } from '../config/security.env';
import { AccessTokenIssuer } from './access-token.issuer';
import { SigningKeys } from './signing-keys';

const quiet = { warn: jest.fn() } as never;
const pem = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

describe('SigningKeys', () => {
  it('loads a PKCS#8 P-256 PEM (also with \\n escapes) and uses the JWK thumbprint as kid', async () => {
    const key = pem();
    const keys = await SigningKeys.fromEnv({ NODE_ENV: 'production', JWT_PRIVATE_KEY: key.replace(/\n/g, '\\n') });
    const [jwk] = keys.jwks().keys;
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: keys.kid });
    expect(jwk).not.toHaveProperty('d'); // never the private part
    expect(keys.kid).toBe(await calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }));
    // Same PEM, same kid: replicas agree.
    expect((await SigningKeys.fromEnv({ NODE_ENV: 'production', JWT_PRIVATE_KEY: key })).kid).toBe(keys.kid);
  });

  it('reads JWT_PRIVATE_KEY_FILE', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keys-'));
    try {
      writeFileSync(join(dir, 'k.pem'), pem());
      const keys = await SigningKeys.fromEnv({ NODE_ENV: 'production', JWT_PRIVATE_KEY_FILE: join(dir, 'k.pem') });
      expect(keys.kid).toHaveLength(43);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('generates an ephemeral key with a warning in development/test, refuses in production', async () => {
    const logger = { warn: jest.fn() };
    await expect(SigningKeys.fromEnv({ NODE_ENV: 'test' }, logger as never)).resolves.toBeInstanceOf(SigningKeys);
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('ephemeral'));
    await expect(SigningKeys.fromEnv({ NODE_ENV: 'production' }, quiet)).rejects.toThrow(/JWT_PRIVATE_KEY/);
  });

  it('rejects keys that cannot sign ES256, without echoing them', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    await expect(SigningKeys.fromEnv({ NODE_ENV: 'production', JWT_PRIVATE_KEY: rsa })).rejects.toThrow(/EC P-256/);
    const err = await SigningKeys.fromEnv({ NODE_ENV: 'production', JWT_PRIVATE_KEY: 'not a pem secret123' }).catch((e: Error) => e);
    expect(String(err)).not.toContain('secret123');
  });
});

describe('AccessTokenIssuer', () => {
  const env = Object.assign(new SecurityEnv(), { AUTH_ISSUER: 'iss-x', AUTH_AUDIENCE: 'aud-x', ACCESS_TOKEN_TTL_SECONDS: 900, API_KEY_TOKEN_TTL_SECONDS: 300 });
  const clock: Clock = { now: () => new Date() };
  const subject = { userId: '6f1c2b1e-8a4e-4c0e-9d8e-2f1f3c4b5a6d', email: 'a@b.io', roles: ['developer'], perms: ['tasks:read'] };

  it('signs ES256 session tokens with kid, iss/aud/sub/email/roles/perms/sid/iat/exp', async () => {
    const keys = await SigningKeys.fromEnv({ NODE_ENV: 'test' }, quiet);
    const issuer = new AccessTokenIssuer(keys, env, clock);
    const { token, expiresIn } = await issuer.forSession(subject, 'family-1');
    expect(expiresIn).toBe(900);
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', kid: keys.kid });
    const { payload } = await jwtVerify(token, createLocalJWKSet(keys.jwks()), { issuer: 'iss-x', audience: 'aud-x' });
    expect(payload).toMatchObject({ sub: subject.userId, email: 'a@b.io', roles: ['developer'], perms: ['tasks:read'], sid: 'family-1' });
    expect(payload.exp! - payload.iat!).toBe(900);
    expect(payload).not.toHaveProperty('akid');
  });

  it('API-key tokens carry akid and the shorter TTL', async () => {
    const keys = await SigningKeys.fromEnv({ NODE_ENV: 'test' }, quiet);
    const { token, expiresIn } = await new AccessTokenIssuer(keys, env, clock).forApiKey(subject, 'key-1');
    const { payload } = await jwtVerify(token, createLocalJWKSet(keys.jwks()));
    expect(expiresIn).toBe(300);
    expect(payload).toMatchObject({ akid: 'key-1' });
    expect(payload).not.toHaveProperty('sid');
  });
});
