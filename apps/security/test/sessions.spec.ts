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
      LOGIN_ACCOUNT_MAX_FAILURES: 7,
      LOGIN_FAILURE_WINDOW_SECONDS: 600,
      LOGIN_LOCKOUT_SECONDS: 900,
      REFRESH_TOKEN_TTL_SECONDS: 3600,
      REFRESH_REUSE_INTERVAL_SECONDS: 5,
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
    expect(event.payload.data).toEqual({ sessionId: rows[0].family_id, ip: '10.0.0.7' });
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
    expect(failed[0].payload.data).toMatchObject({ email: user.email, failures: 1 });
    expect(failed[0].payload.data).not.toHaveProperty('locked'); // proto3 JSON leaves defaults (false) out
    expect(JSON.stringify(failed[0].payload)).not.toContain('wrong password');
  });

  it('locks an account for the client after LOGIN_MAX_FAILURES failures, even for the right password, until the lockout passes', async () => {
    const user = await newUser('Lock');
    const attacker = { ip: '198.51.100.7' };
    for (let i = 0; i < 3; i++) {
      expect(await codeOf(sessions.login({ email: user.email, password: 'bad password ' + i }, attacker))).toBe('INVALID_CREDENTIALS');
    }
    const locked = await sessions.login({ email: user.email, password: PASSWORD }, attacker).catch((e) => e);
    expect(locked).toBeInstanceOf(RateLimitedError);
    expect(locked.retryAfterSeconds).toBeGreaterThan(890);
    expect(locked.retryAfterSeconds).toBeLessThanOrEqual(900);

    // The owner, from another address, still logs in: knowing an email is not enough to lock its owner out.
    await expect(sessions.login({ email: user.email, password: PASSWORD }, { ip: '203.0.113.20' })).resolves.toHaveProperty('accessToken');
    expect(await codeOf(sessions.login({ email: user.email, password: PASSWORD }, attacker))).toBe('RATE_LIMITED');

    // Other accounts are unaffected.
    const other = await newUser('Other');
    await expect(sessions.login({ email: other.email, password: PASSWORD }, attacker)).resolves.toHaveProperty('accessToken');

    app.clock.advance(901);
    await expect(sessions.login({ email: user.email, password: PASSWORD }, attacker)).resolves.toHaveProperty('accessToken');
    // A success clears that client's count.
    expect(await codeOf(sessions.login({ email: user.email, password: 'bad again' }, attacker))).toBe('INVALID_CREDENTIALS');
    await expect(sessions.login({ email: user.email, password: PASSWORD }, attacker)).resolves.toHaveProperty('accessToken');

    const failedLocked = (await app.outbox('security.login.failed')).filter((e) => e.subject === user.id && e.payload.data.locked);
    expect(failedLocked).toHaveLength(1);
  });

  it('locks the account for every client after LOGIN_ACCOUNT_MAX_FAILURES failures from many addresses', async () => {
    const user = await newUser('Spread');
    // At most two failures from each address: below the per-client limit (3) everywhere.
    const addresses = ['192.0.2.1', '192.0.2.1', '192.0.2.2', '192.0.2.2', '192.0.2.3', '192.0.2.3', '2001:db8:1::1'];
    for (const [i, ip] of addresses.entries()) {
      expect(await codeOf(sessions.login({ email: user.email, password: `guess number ${i}` }, { ip }))).toBe('INVALID_CREDENTIALS');
    }
    // The 7th failure (LOGIN_ACCOUNT_MAX_FAILURES) locks the account, the right password from a fresh address included.
    const locked = await sessions.login({ email: user.email, password: PASSWORD }, { ip: '203.0.113.99' }).catch((e) => e);
    expect(locked).toBeInstanceOf(RateLimitedError);
    expect(locked.retryAfterSeconds).toBeGreaterThan(890);
    const [lockEntry] = await app.db.query(`SELECT details FROM audit_events WHERE type = 'login.locked' AND subject_id = $1`, [user.id]);
    expect(lockEntry.details).toMatchObject({ email: user.email, wholeAccount: true });

    app.clock.advance(901);
    await expect(sessions.login({ email: user.email, password: PASSWORD }, { ip: '203.0.113.99' })).resolves.toHaveProperty('accessToken');
  });

  it('counts an IPv6 client by its /64: rotating addresses within it does not reset the count', async () => {
    const user = await newUser('Six');
    for (const ip of ['2001:db8:5:6::1', '2001:db8:5:6::2', '2001:db8:5:6:abcd::3']) {
      await sessions.login({ email: user.email, password: 'wrong one here' }, { ip }).catch(() => undefined);
    }
    expect(await codeOf(sessions.login({ email: user.email, password: PASSWORD }, { ip: '2001:db8:5:6::ffff' }))).toBe('RATE_LIMITED');
    await expect(sessions.login({ email: user.email, password: PASSWORD }, { ip: '2001:db8:5:7::1' })).resolves.toHaveProperty('accessToken');
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

  it('a spent token presented again after the reuse interval → TOKEN_REUSED and the whole family is revoked', async () => {
    const user = await newUser('Reuse');
    const first = await sessions.login({ email: user.email, password: PASSWORD });
    const second = await sessions.refresh(first.refreshToken);
    app.clock.advance(5);

    expect(await codeOf(sessions.refresh(first.refreshToken, { ip: '6.6.6.6' }))).toBe('TOKEN_REUSED');
    // The legitimate successor is dead too.
    expect(await codeOf(sessions.refresh(second.refreshToken))).toBe('TOKEN_INVALID');

    const live: { n: number }[] = await app.db.query(`SELECT count(*)::int AS n FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL`, [user.id]);
    expect(live[0].n).toBe(0);

    const [event] = (await app.outbox('security.token.reused')).filter((e) => e.subject === user.id);
    // The spent token and its live successor.
    expect(event.payload.data).toMatchObject({ ip: '6.6.6.6', revokedTokens: 2 });

    // Another login of the same user is a different family and keeps working.
    const other = await sessions.login({ email: user.email, password: PASSWORD });
    await expect(sessions.refresh(other.refreshToken)).resolves.toHaveProperty('refreshToken');
  });

  it('concurrent refreshes of one token (two tabs): every one gets the same new refresh token; one rotation', async () => {
    const user = await newUser('Race');
    const { refreshToken } = await sessions.login({ email: user.email, password: PASSWORD });
    for (const parallel of [2, 10]) {
      const token = parallel === 2 ? refreshToken : (await sessions.login({ email: user.email, password: PASSWORD })).refreshToken;
      const pairs = await Promise.all(Array.from({ length: parallel }, () => sessions.refresh(token)));
      expect(new Set(pairs.map((p) => p.refreshToken)).size).toBe(1);
      expect(pairs[0].refreshToken).not.toBe(token);
      for (const p of pairs) expect(p).toMatchObject({ tokenType: 'Bearer', expiresIn: app.env.ACCESS_TOKEN_TTL_SECONDS, accessToken: expect.any(String) });
    }
    // Two logins, each rotated exactly once.
    const rows: { parent_id: string | null; used_at: Date | null; revoked_at: Date | null }[] = await app.db.query(
      `SELECT parent_id, used_at, revoked_at FROM refresh_tokens WHERE user_id = $1`,
      [user.id],
    );
    expect(rows).toHaveLength(4);
    expect(rows.filter((r) => r.used_at)).toHaveLength(2);
    expect(rows.every((r) => !r.revoked_at)).toBe(true);
    expect(await app.outbox('security.token.reused').then((e) => e.filter((x) => x.subject === user.id))).toEqual([]);
  });

  it('within the reuse interval the spent token answers with the family\'s current token; after it, reuse revokes', async () => {
    const user = await newUser('Interval');
    const login = await sessions.login({ email: user.email, password: PASSWORD });
    const tab1 = await sessions.refresh(login.refreshToken);
    app.clock.advance(2);
    const tab2 = await sessions.refresh(login.refreshToken); // the slower tab, 2 s later
    expect(tab2.refreshToken).toBe(tab1.refreshToken);
    const { payload } = await jwtVerify(tab2.accessToken, createLocalJWKSet(app.module.get(SigningKeys).jwks()));
    expect(payload).toMatchObject({ sub: user.id });

    // Tab 1 refreshes again before tab 2's answer arrives: the original token now leads to the newest, live token.
    const tab1Again = await sessions.refresh(tab1.refreshToken);
    expect((await sessions.refresh(login.refreshToken)).refreshToken).toBe(tab1Again.refreshToken);

    // Only hashes are stored: no column holds any of the tokens handed out.
    const dump = JSON.stringify(await app.db.query(`SELECT * FROM refresh_tokens WHERE user_id = $1`, [user.id]));
    for (const t of [login.refreshToken, tab1.refreshToken, tab1Again.refreshToken]) expect(dump).not.toContain(t.slice(3));

    app.clock.advance(3); // 5 s since the login token was spent
    expect(await codeOf(sessions.refresh(login.refreshToken))).toBe('TOKEN_REUSED');
    expect(await codeOf(sessions.refresh(tab1Again.refreshToken))).toBe('TOKEN_INVALID');
    const [{ n }] = await app.db.query(`SELECT count(*)::int AS n FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL`, [user.id]);
    expect(n).toBe(0);
  });

  it('a logged-out family is never revived by a repeat inside the interval', async () => {
    const user = await newUser('OutRepeat');
    const login = await sessions.login({ email: user.email, password: PASSWORD });
    const next = await sessions.refresh(login.refreshToken);
    await sessions.logout(next.refreshToken);
    await expect(sessions.refresh(login.refreshToken)).rejects.toBeInstanceOf(UnauthenticatedError);
    expect(await codeOf(sessions.refresh(next.refreshToken))).toBe('TOKEN_INVALID');
  });

  it('REFRESH_REUSE_INTERVAL_SECONDS=0 turns the interval off: an immediate second use is reuse', async () => {
    const user = await newUser('NoInterval');
    const login = await sessions.login({ email: user.email, password: PASSWORD });
    const interval = app.env.REFRESH_REUSE_INTERVAL_SECONDS;
    app.env.REFRESH_REUSE_INTERVAL_SECONDS = 0;
    try {
      const results = await Promise.allSettled([sessions.refresh(login.refreshToken), sessions.refresh(login.refreshToken)]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason.code).toBe('TOKEN_REUSED');
    } finally {
      app.env.REFRESH_REUSE_INTERVAL_SECONDS = interval;
    }
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
