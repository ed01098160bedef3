import { RateLimitedError, UnauthenticatedError, ValidationError } from '@aether/service-kit';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { SigningKeys } from '../src/keys/signing-keys';
import { SessionsService } from '../src/sessions/sessions.service';
import { PasswordHasher } from '../src/users/password-hasher.service';
import { UsersService } from '../src/users/users.service';
import { createSecurityTestApp, type SecurityTestApp } from './support/security-test-app';

const PASSWORD = 'correct horse battery';

describe('sessions: login, refresh rotation, logout (PostgreSQL)', () => {
  let app: SecurityTestApp;
  let sessions: SessionsService;
  let users: UsersService;

  beforeAll(async () => {
    app = await createSecurityTestApp({
      LOGIN_MAX_FAILURES: 3,
      LOGIN_FAILURE_WINDOW_SECONDS: 600,
      LOGIN_LOCKOUT_SECONDS: 900,
      REFRESH_TOKEN_TTL_SECONDS: 3600,
    });
    sessions = app.module.get(SessionsService);
    users = app.module.get(UsersService);
  });
  afterAll(() => app?.close());

  async function newUser(tag: string) {
    return users.register({ email: `${tag}-${Date.now()}@example.com`, password: PASSWORD, name: tag });
  }

  async function codeOf(p: Promise<unknown>): Promise<string> {
    const err = await p.then(() => undefined, (e) => e);
    if (!err) throw new Error('expected a rejection');
    return err.code;
  }

  it('logs in with any letter case of the email and returns a verifiable ES256 token pair', async () => {
    const user = await newUser('Login');
    const pair = await sessions.login({ email: user.email.toUpperCase(), password: PASSWORD }, { ip: '10.0.0.7', userAgent: 'jest' });
    expect(pair).toMatchObject({ tokenType: 'Bearer', expiresIn: app.env.ACCESS_TOKEN_TTL_SECONDS });
    expect(pair.refreshToken).toMatch(/^rt_[A-Za-z0-9_-]{43}$/);

    const keys = app.module.get(SigningKeys);
    const { payload, protectedHeader } = await jwtVerify(pair.accessToken, createLocalJWKSet(keys.jwks()), {
      issuer: app.env.AUTH_ISSUER,
      audience: app.env.AUTH_AUDIENCE,
    });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: keys.kid });
    expect(payload).toMatchObject({ sub: user.id, email: user.email, roles: ['developer'] });
    expect(payload.perms).toEqual(expect.arrayContaining(['tasks:read', 'apikeys:manage']));
    expect(payload.perms).not.toContain('users:manage');

    // Only the hash of the refresh token is stored.
    const rows: { token_hash: string; family_id: string }[] = await app.db.query(`SELECT token_hash, family_id FROM refresh_tokens WHERE user_id = $1`, [user.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0].token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0].token_hash).not.toContain(pair.refreshToken);
    expect(payload.sid).toBe(rows[0].family_id);

    const [event] = (await app.outbox('security.user.logged_in')).filter((e) => e.subject === user.id);
    expect(event.payload.data).toEqual({ userId: user.id, sessionId: rows[0].family_id, ip: '10.0.0.7' });
    expect(JSON.stringify(event.payload)).not.toContain(pair.refreshToken);
  });

  it('answers unknown email and wrong password with the same error, hashing a dummy for the unknown one', async () => {
    const user = await newUser('Same');
    const hasher = app.module.get(PasswordHasher);
    const dummy = jest.spyOn(hasher, 'verifyAgainstDummy');
    const real = jest.spyOn(hasher, 'verify');
    try {
      const wrong = await sessions.login({ email: user.email, password: 'wrong password!' }).catch((e) => e);
      const unknown = await sessions.login({ email: `nobody-${Date.now()}@example.com`, password: 'wrong password!' }).catch((e) => e);
      for (const err of [wrong, unknown]) {
        expect(err).toBeInstanceOf(UnauthenticatedError);
        expect(err.code).toBe('INVALID_CREDENTIALS');
      }
      expect(wrong.message).toBe(unknown.message);
      expect(dummy).toHaveBeenCalledTimes(1); // the unknown email still paid for an argon2 verification
      expect(real).toHaveBeenCalledTimes(2); // once for the real hash, once inside the dummy check
    } finally {
      dummy.mockRestore();
      real.mockRestore();
    }
    const failed = (await app.outbox('security.login.failed')).filter((e) => e.subject === user.id);
    expect(failed).toHaveLength(1);
    expect(failed[0].payload.data).toMatchObject({ userId: user.id, email: user.email, failures: 1, locked: false });
    expect(JSON.stringify(failed[0].payload)).not.toContain('wrong password');
  });

  it('locks an account after LOGIN_MAX_FAILURES failures, even for the right password, until the lockout passes', async () => {
    const user = await newUser('Lock');
    for (let i = 0; i < 3; i++) {
      expect(await codeOf(sessions.login({ email: user.email, password: 'bad password ' + i }))).toBe('INVALID_CREDENTIALS');
    }
    const locked = await sessions.login({ email: user.email, password: PASSWORD }).catch((e) => e);
    expect(locked).toBeInstanceOf(RateLimitedError);
    expect(locked.retryAfterSeconds).toBeGreaterThan(890);
    expect(locked.retryAfterSeconds).toBeLessThanOrEqual(900);

    // Other accounts are unaffected.
    const other = await newUser('Other');
    await expect(sessions.login({ email: other.email, password: PASSWORD })).resolves.toHaveProperty('accessToken');

    app.clock.advance(901);
    await expect(sessions.login({ email: user.email, password: PASSWORD })).resolves.toHaveProperty('accessToken');
    // A success clears the count.
    expect(await codeOf(sessions.login({ email: user.email, password: 'bad again' }))).toBe('INVALID_CREDENTIALS');
    await expect(sessions.login({ email: user.email, password: PASSWORD })).resolves.toHaveProperty('accessToken');

    const failedLocked = (await app.outbox('security.login.failed')).filter((e) => e.subject === user.id && e.payload.data.locked);
    expect(failedLocked).toHaveLength(1);
  });

  it('locks unknown emails the same way (no account enumeration through lockout)', async () => {
    const email = `ghost-${Date.now()}@example.com`;
    for (let i = 0; i < 3; i++) await sessions.login({ email, password: 'whatever 123' }).catch(() => undefined);
    expect(await codeOf(sessions.login({ email, password: 'whatever 123' }))).toBe('RATE_LIMITED');
  });

  it('forgets failures outside the window', async () => {
    const user = await newUser('Window');
    await sessions.login({ email: user.email, password: 'bad 1 bad 1' }).catch(() => undefined);
    await sessions.login({ email: user.email, password: 'bad 2 bad 2' }).catch(() => undefined);
    app.clock.advance(601);
    await sessions.login({ email: user.email, password: 'bad 3 bad 3' }).catch(() => undefined);
    await expect(sessions.login({ email: user.email, password: PASSWORD })).resolves.toHaveProperty('accessToken');
  });

  it('rejects empty credentials as bad input', async () => {
    await expect(sessions.login({ email: '', password: '' })).rejects.toBeInstanceOf(ValidationError);
  });

  it('rotates refresh tokens: each is single-use, and the new one works', async () => {
    const user = await newUser('Rotate');
    const first = await sessions.login({ email: user.email, password: PASSWORD });
    const second = await sessions.refresh(first.refreshToken, { ip: '10.0.0.8' });
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.accessToken).not.toBe(first.accessToken);
    const third = await sessions.refresh(second.refreshToken);
    expect(third.tokenType).toBe('Bearer');

    const rows: { parent_id: string | null; used_at: Date | null }[] = await app.db.query(
      `SELECT parent_id, used_at FROM refresh_tokens WHERE user_id = $1 ORDER BY created_at`,
      [user.id],
    );
    expect(rows).toHaveLength(3);
    expect(rows.filter((r) => r.used_at)).toHaveLength(2);
    expect(rows.filter((r) => r.parent_id)).toHaveLength(2);
  });

  it('a spent token presented again → TOKEN_REUSED and the whole family is revoked', async () => {
    const user = await newUser('Reuse');
    const first = await sessions.login({ email: user.email, password: PASSWORD });
    const second = await sessions.refresh(first.refreshToken);

    expect(await codeOf(sessions.refresh(first.refreshToken, { ip: '6.6.6.6' }))).toBe('TOKEN_REUSED');
    // The legitimate successor is dead too.
    expect(await codeOf(sessions.refresh(second.refreshToken))).toBe('TOKEN_INVALID');

    const live: { n: number }[] = await app.db.query(`SELECT count(*)::int AS n FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL`, [user.id]);
    expect(live[0].n).toBe(0);

    const [event] = (await app.outbox('security.token.reused')).filter((e) => e.subject === user.id);
    // The spent token and its live successor.
    expect(event.payload.data).toMatchObject({ userId: user.id, ip: '6.6.6.6', revokedTokens: 2 });

    // Another login of the same user is a different family and keeps working.
    const other = await sessions.login({ email: user.email, password: PASSWORD });
    await expect(sessions.refresh(other.refreshToken)).resolves.toHaveProperty('refreshToken');
  });

  it('concurrent refreshes of one token: exactly one succeeds', async () => {
    const user = await newUser('Race');
    const { refreshToken } = await sessions.login({ email: user.email, password: PASSWORD });
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => sessions.refresh(refreshToken)));
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok).toHaveLength(1);
    expect(failed.map((r) => r.reason.code)).toEqual(Array(4).fill('TOKEN_REUSED'));
    const [{ n }] = await app.db.query(`SELECT count(*)::int AS n FROM refresh_tokens WHERE user_id = $1`, [user.id]);
    expect(n).toBe(2); // the original and exactly one child
  });

  it('logout revokes the family; unknown and expired tokens are TOKEN_INVALID', async () => {
    const user = await newUser('Logout');
    const a = await sessions.login({ email: user.email, password: PASSWORD });
    const b = await sessions.refresh(a.refreshToken);
    await sessions.logout(a.refreshToken); // any token of the family ends it
    expect(await codeOf(sessions.refresh(b.refreshToken))).toBe('TOKEN_INVALID');
    await expect(sessions.logout('rt_unknown')).resolves.toBeUndefined();
    expect(await codeOf(sessions.refresh('rt_unknown'))).toBe('TOKEN_INVALID');

    const c = await sessions.login({ email: user.email, password: PASSWORD });
    app.clock.advance(3601);
    expect(await codeOf(sessions.refresh(c.refreshToken))).toBe('TOKEN_INVALID');
  });

  it('refresh picks up role changes', async () => {
    const user = await newUser('Roles');
    const pair = await sessions.login({ email: user.email, password: PASSWORD });
    await users.setRoles(user.id, user.id, ['viewer']);
    const next = await sessions.refresh(pair.refreshToken);
    const { payload } = await jwtVerify(next.accessToken, createLocalJWKSet(app.module.get(SigningKeys).jwks()));
    expect(payload.roles).toEqual(['viewer']);
    expect(payload.perms).not.toContain('tasks:write');
  });
});
