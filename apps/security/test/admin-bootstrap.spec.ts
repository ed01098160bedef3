import { createTempDatabase, type TempResource } from '@aether/testing';
import { SessionsService } from '../src/sessions/sessions.service';
import { createSecurityTestApp, type SecurityTestApp } from './support/security-test-app';

describe('admin bootstrap (PostgreSQL)', () => {
  let database: TempResource;
  const apps: SecurityTestApp[] = [];
  const admin = { ADMIN_EMAIL: 'Admin@Example.com', ADMIN_PASSWORD: 'bootstrap password 1' };

  beforeAll(async () => {
    database = await createTempDatabase('security_admin');
  });
  afterAll(async () => {
    for (const a of apps) await a.close();
    await database?.drop();
  });

  it('three replicas starting together on an empty database migrate once and create exactly one admin', async () => {
    apps.push(...(await Promise.all([1, 2, 3].map(() => createSecurityTestApp(admin, database)))));
    const [app] = apps;
    const users = await app.db.query(`SELECT email, roles FROM users`);
    expect(users).toEqual([{ email: 'admin@example.com', roles: ['admin'] }]);
    expect(await app.outbox('security.user.registered')).toHaveLength(1);
    const migrations = await app.db.query(`SELECT name FROM migrations`);
    expect(migrations).toHaveLength(3); // outbox, schema, per-client login throttling — each once

    const pair = await app.module.get(SessionsService).login({ email: 'admin@example.com', password: admin.ADMIN_PASSWORD });
    expect(pair.accessToken).toBeTruthy();
  });

  it('a restart with another ADMIN_PASSWORD leaves the existing account alone', async () => {
    const again = await createSecurityTestApp({ ...admin, ADMIN_PASSWORD: 'a different password' }, database);
    apps.push(again);
    expect(await again.db.query(`SELECT count(*)::int AS n FROM users`)).toEqual([{ n: 1 }]);
    const sessions = again.module.get(SessionsService);
    await expect(sessions.login({ email: admin.ADMIN_EMAIL, password: 'a different password' })).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    await expect(sessions.login({ email: admin.ADMIN_EMAIL, password: admin.ADMIN_PASSWORD })).resolves.toHaveProperty('accessToken');
  });
});
