import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, ValidationError } from '@aether/service-kit';
import { AuditLogService } from '../src/audit/audit-log.service';
import { PasswordHasher } from '../src/users/password-hasher.service';
import { UserEntity } from '../src/users/user.entity';
import { UsersService } from '../src/users/users.service';
import { createSecurityTestApp, type SecurityTestApp } from './support/security-test-app';

describe('users (PostgreSQL)', () => {
  let app: SecurityTestApp;
  let users: UsersService;

  beforeAll(async () => {
    app = await createSecurityTestApp();
    users = app.module.get(UsersService);
  });
  afterAll(() => app?.close());

  it('migrations created every table on the empty database', async () => {
    const tables: { table_name: string }[] = await app.db.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining(['api_keys', 'audit_events', 'login_throttles', 'outbox_events', 'refresh_tokens', 'users']),
    );
    const ran: { name: string }[] = await app.db.query(`SELECT name FROM migrations ORDER BY id`);
    expect(ran.map((m) => m.name)).toEqual(['CreateOutboxEvents1760000000000', 'CreateSecuritySchema1764000000000', 'LoginThrottlePerClient1764200000000']);
  });

  it('registers a developer with a normalised email, an argon2id hash, an audit entry and an outbox event', async () => {
    const user = await users.register({ email: '  Grace@Example.com ', password: 'correct horse battery', name: 'Grace' });
    expect(user).toMatchObject({ email: 'grace@example.com', name: 'Grace', roles: ['developer'] });

    const [row] = await app.db.query(`SELECT password_hash FROM users WHERE id = $1`, [user.id]);
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    expect(await app.module.get(PasswordHasher).verify(row.password_hash, 'correct horse battery')).toBe(true);

    const events = (await app.outbox('security.user.registered')).filter((e) => e.subject === user.id);
    expect(events).toHaveLength(1);
    expect(events[0].payload).toMatchObject({ type: 'security.user.registered', source: 'security', subject: user.id });
    expect(events[0].payload.data).toMatchObject({ user: { id: user.id, email: 'grace@example.com', roles: ['developer'] }, source: 'register' });
    expect(JSON.stringify(events[0].payload)).not.toMatch(/argon2|correct horse/);

    const audit = await app.module.get(AuditLogService).list({ type: 'user.registered' });
    expect(audit.items.some((a) => a.subjectId === user.id)).toBe(true);
  });

  it('getById (plain SQL) reads the user exactly as the TypeORM repository maps it; NOT_FOUND otherwise', async () => {
    const user = await users.register({ email: 'ada@example.com', password: 'correct horse battery', name: 'Ada' });
    await app.db.query(`UPDATE users SET roles = '{developer,viewer}' WHERE id = $1`, [user.id]);
    const mapped = await app.db.getRepository(UserEntity).findOneByOrFail({ id: user.id });
    const got = await users.getById(user.id);
    expect(got).toBeInstanceOf(UserEntity);
    expect(got).toStrictEqual(mapped);
    await expect(users.getById(randomUUID())).rejects.toBeInstanceOf(NotFoundError);
    await expect(users.getById('not-a-uuid')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses the same email in another letter case with EMAIL_TAKEN, writing nothing', async () => {
    await users.register({ email: 'linus@example.com', password: 'correct horse battery', name: 'Linus' });
    const before = (await app.outbox('security.user.registered')).length;
    const err = await users.register({ email: 'LINUS@Example.COM', password: 'another password', name: 'Other' }).catch((e) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.code).toBe('EMAIL_TAKEN');
    const [{ n }] = await app.db.query(`SELECT count(*)::int AS n FROM users WHERE lower(email) = 'linus@example.com'`);
    expect(n).toBe(1);
    expect((await app.outbox('security.user.registered')).length).toBe(before);
  });

  it('the unique index holds even for rows written around the service', async () => {
    await expect(
      app.db.query(`INSERT INTO users (id, email, name, password_hash) VALUES (gen_random_uuid(), 'GRACE@EXAMPLE.COM', 'x', 'x')`),
    ).rejects.toThrow(/users_email_lower_uq/);
  });

  it('rejects bad input with field violations', async () => {
    const err = await users.register({ email: 'nope', password: 'short', name: '' }).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.violations.map((v: { field: string }) => v.field).sort()).toEqual(['email', 'name', 'password']);
  });

  it('sets roles (admin action) with audit and event; unknown role → 400, unknown user → 404', async () => {
    const admin = await users.register({ email: 'root@example.com', password: 'correct horse battery', name: 'Root' });
    const target = await users.register({ email: 'target@example.com', password: 'correct horse battery', name: 'T' });

    await expect(users.setRoles(admin.id, target.id, ['developer', 'wizard'])).rejects.toBeInstanceOf(ValidationError);
    await expect(users.setRoles(admin.id, '00000000-0000-4000-8000-000000000000', ['viewer'])).rejects.toBeInstanceOf(NotFoundError);
    await expect(users.setRoles(admin.id, 'not-a-uuid', ['viewer'])).rejects.toBeInstanceOf(NotFoundError);

    const updated = await users.setRoles(admin.id, target.id, ['viewer', 'admin', 'viewer']);
    expect(updated.roles).toEqual(['admin', 'viewer']);
    expect((await users.getById(target.id)).roles).toEqual(['admin', 'viewer']);

    const [event] = (await app.outbox('security.user.roles_changed')).filter((e) => e.subject === target.id);
    expect(event.payload.data).toEqual({
      roles: ['admin', 'viewer'],
      previousRoles: ['developer'],
      changedBy: admin.id,
    });
    const audit = await app.module.get(AuditLogService).list({ type: 'user.roles_changed' });
    expect(audit.items[0]).toMatchObject({ actorId: admin.id, subjectId: target.id });
  });

  it('never removes the last administrator', async () => {
    const solo = await createSecurityTestApp();
    try {
      const s = solo.module.get(UsersService);
      const a = await s.register({ email: 'a@example.com', password: 'correct horse battery', name: 'A' });
      await s.setRoles(a.id, a.id, ['admin']);
      const err = await s.setRoles(a.id, a.id, ['developer']).catch((e) => e);
      expect(err).toBeInstanceOf(ConflictError);
      expect(err.code).toBe('LAST_ADMIN');
    } finally {
      await solo.close();
    }
  });

  it('refuses an empty role list, naming the field', async () => {
    const target = await users.register({ email: 'noroles@example.com', password: 'correct horse battery', name: 'N' });
    const err = await users.setRoles(target.id, target.id, []).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.violations).toEqual([{ field: 'roles', message: expect.stringMatching(/at least one role/) }]);
    expect((await users.getById(target.id)).roles).toEqual(['developer']);
  });

  it('lets an admin demote another admin, but never the last one (also not by emptying the roles)', async () => {
    const solo = await createSecurityTestApp();
    try {
      const s = solo.module.get(UsersService);
      const a = await s.register({ email: 'a@example.com', password: 'correct horse battery', name: 'A' });
      const b = await s.register({ email: 'b@example.com', password: 'correct horse battery', name: 'B' });
      await s.setRoles(a.id, a.id, ['admin']);
      await s.setRoles(a.id, b.id, ['admin', 'developer']);
      expect((await s.setRoles(b.id, a.id, ['viewer'])).roles).toEqual(['viewer']); // two admins: fine
      const last = await s.setRoles(a.id, b.id, ['developer']).catch((e) => e);
      expect(last).toBeInstanceOf(ConflictError);
      expect(last.code).toBe('LAST_ADMIN');
      await expect(s.setRoles(b.id, b.id, [])).rejects.toBeInstanceOf(ValidationError);
      expect((await s.getById(b.id)).roles).toEqual(['admin', 'developer']);
    } finally {
      await solo.close();
    }
  });

  it('lists users oldest first with a working cursor', async () => {
    const seen: string[] = [];
    let cursor = '';
    let pages = 0;
    do {
      const page = await users.list({ limit: 2, cursor });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((u) => u.email));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    const all: { email: string }[] = await app.db.query(`SELECT email FROM users ORDER BY created_at, id`);
    expect(seen).toEqual(all.map((u) => u.email));
    expect(pages).toBeGreaterThan(1);
    await expect(users.list({ limit: 101 })).rejects.toBeInstanceOf(ValidationError);
    await expect(users.list({ cursor: 'garbage' })).rejects.toBeInstanceOf(ValidationError);
  });
});
