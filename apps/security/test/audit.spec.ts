import { ValidationError } from '@aether/service-kit';
import { AuditLogService } from '../src/audit/audit-log.service';
import { SessionsService } from '../src/sessions/sessions.service';
import { UsersService } from '../src/users/users.service';
import { createSecurityTestApp, type SecurityTestApp } from './support/security-test-app';

describe('audit log (PostgreSQL)', () => {
  let app: SecurityTestApp;
  let audit: AuditLogService;

  beforeAll(async () => {
    // No reuse interval: the second refresh below is the reuse this log must show.
    app = await createSecurityTestApp({ REFRESH_REUSE_INTERVAL_SECONDS: 0 });
    audit = app.module.get(AuditLogService);
    const user = await app.module.get(UsersService).register({ email: 'audit@example.com', password: 'correct horse battery', name: 'A' });
    const sessions = app.module.get(SessionsService);
    await sessions.login({ email: user.email, password: 'wrong password' }, { ip: '192.0.2.1' }).catch(() => undefined);
    const pair = await sessions.login({ email: user.email, password: 'correct horse battery' }, { ip: '192.0.2.2' });
    const next = await sessions.refresh(pair.refreshToken);
    await sessions.refresh(pair.refreshToken).catch(() => undefined); // reuse
    await sessions.logout(next.refreshToken);
  });
  afterAll(() => app?.close());

  it('records logins, failures and token reuse, newest first', async () => {
    const { items } = await audit.list({ page: { limit: 100 } });
    expect(items.map((e) => e.type)).toEqual(['token.reused', 'user.logged_in', 'login.failed', 'user.registered']);
    const failed = items.find((e) => e.type === 'login.failed')!;
    expect(failed.ip).toBe('192.0.2.1');
    expect(failed.details).toMatchObject({ email: 'audit@example.com', failures: 1 });
    expect(JSON.stringify(items)).not.toMatch(/wrong password|correct horse|rt_/);
  });

  it('filters by type and pages with a cursor', async () => {
    expect((await audit.list({ type: 'login.failed' })).items).toHaveLength(1);
    const first = await audit.list({ page: { limit: 3 } });
    expect(first.items).toHaveLength(3);
    expect(first.nextCursor).not.toBe('');
    const second = await audit.list({ page: { limit: 3, cursor: first.nextCursor } });
    expect(second.items.map((e) => e.type)).toEqual(['user.registered']);
    expect(second.nextCursor).toBe('');
    await expect(audit.list({ page: { cursor: 'eyJzIjoiYSJ9' } })).rejects.toBeInstanceOf(ValidationError);
  });
});
