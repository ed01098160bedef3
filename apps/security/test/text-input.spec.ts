import { permissionsForRoles } from '@aether/auth';
import { rejectionViolationsOf } from '@aether/testing';
import { ApiKeysService } from '../src/api-keys/api-keys.service';
import { SessionsService } from '../src/sessions/sessions.service';
import { UsersService } from '../src/users/users.service';
import { createSecurityTestApp, type SecurityTestApp } from './support/security-test-app';

/**
 * Text PostgreSQL cannot hold (NUL: error 22021) or that is not well-formed (a lone surrogate,
 * on which validator.js's isEmail throws URIError) is a ValidationError (400), never a 500 —
 * checked against a real database, with nothing written.
 */
describe('security text input (PostgreSQL)', () => {
  let app: SecurityTestApp;
  let users: UsersService;

  beforeAll(async () => {
    app = await createSecurityTestApp();
    users = app.module.get(UsersService);
  });
  afterAll(() => app?.close());

  const violationsOf = async (p: Promise<unknown>) => (await rejectionViolationsOf(p)).map((v) => v.field);

  it('register: NUL in the name, NUL or a lone surrogate in the email', async () => {
    const password = 'correct horse battery';
    expect(await violationsOf(users.register({ email: 'nul@example.com', password, name: 'Ada\u0000Lovelace' }))).toEqual(['name']);
    expect(await violationsOf(users.register({ email: 'x\ud800y', password, name: 'Ada' }))).toEqual(['email']);
    expect(await violationsOf(users.register({ email: 'x\ud800y@example.com', password, name: 'Ada' }))).toEqual(['email']);
    expect(await violationsOf(users.register({ email: 'a\u0000@example.com', password, name: 'Ada' }))).toEqual(['email']);
    expect(await app.db.query(`SELECT count(*)::int AS n FROM users`)).toEqual([{ n: 0 }]);
  });

  it('login: an email no account can have is a 400 before any lookup (none of it reaches a query)', async () => {
    const sessions = app.module.get(SessionsService);
    expect(await violationsOf(sessions.login({ email: 'x\ud800y', password: 'whatever-it-is' }))).toEqual(['email']);
    expect(await violationsOf(sessions.login({ email: 'a\u0000b@example.com', password: 'whatever-it-is' }))).toEqual(['email']);
  });

  it('API keys: NUL in the name', async () => {
    const user = await users.register({ email: 'keys-text@example.com', password: 'correct horse battery', name: 'K 😀' });
    expect(user.name).toBe('K 😀');
    const owner = { userId: user.id, permissions: permissionsForRoles(user.roles) };
    const apiKeys = app.module.get(ApiKeysService);
    expect(await violationsOf(apiKeys.create(owner, { name: 'ci\u0000key' }))).toEqual(['name']);
    await expect(apiKeys.create(owner, { name: '😀'.repeat(100) })).resolves.toMatchObject({ apiKey: { name: '😀'.repeat(100) } });
  });
});
