import { PROTO_LOADER_OPTIONS, protoFile, protoRoot } from '@aether/contracts';
import { readGrpcError, type RunningService } from '@aether/service-kit';
import { createTempDatabase, createTempVhost, startTestService, waitFor, type TempResource } from '@aether/testing';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import amqp from 'amqplib';
import { DataSource } from 'typeorm';
import { pgPool } from '@aether/service-kit';
import { securityService } from '../src/service';

/**
 * The whole app as it runs in production (kit bootstrap, gRPC server, guard, error mapping,
 * outbox relay to RabbitMQ), driven over real gRPC.
 */
describe('security over gRPC (full app)', () => {
  let database: TempResource;
  let vhost: TempResource;
  let svc: RunningService;
  let client: grpc.Client & Record<string, Function>;
  let httpPort: number;
  let amqpConn: amqp.ChannelModel;
  const received: { routingKey: string; body: any }[] = [];
  const ADMIN = { email: 'admin@grpc.test', password: 'admin password 1' };

  beforeAll(async () => {
    database = await createTempDatabase('security_grpc');
    vhost = await createTempVhost('security_grpc');
    // A consumer bound before the app starts, to see what the outbox relay publishes.
    amqpConn = await amqp.connect(vhost.url);
    const ch = await amqpConn.createChannel();
    await ch.assertExchange('aether.events', 'topic', { durable: true });
    const { queue } = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(queue, 'aether.events', 'security.#');
    await ch.consume(queue, (m) => m && received.push({ routingKey: m.fields.routingKey, body: JSON.parse(m.content.toString()) }), { noAck: true });

    svc = await startTestService(securityService, {
      env: {
        DATABASE_URL: database.url,
        RABBITMQ_URL: vhost.url,
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
        SHUTDOWN_GRACE_MS: '5000',
        // The reuse below comes right after the rotation: no reuse interval (sessions.spec covers it).
        REFRESH_REUSE_INTERVAL_SECONDS: '0',
      },
    });
    const grpcPort = svc.grpcPort!;
    httpPort = svc.httpPort;

    const def = protoLoader.loadSync(protoFile('security'), { ...PROTO_LOADER_OPTIONS, includeDirs: [protoRoot()] });
    const pkg = grpc.loadPackageDefinition(def) as any;
    client = new pkg.aether.security.v1.SecurityService(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    client?.close();
    await svc?.shutdown();
    await amqpConn?.close();
    await vhost?.drop();
    await database?.drop();
  });

  function call<T = any>(method: string, req: object, token?: string, extra: Record<string, string> = {}): Promise<T> {
    const md = new grpc.Metadata();
    if (token) md.set('authorization', `Bearer ${token}`);
    for (const [k, v] of Object.entries(extra)) md.set(k, v);
    return new Promise((resolve, reject) =>
      client[method](req, md, { deadline: Date.now() + 5000 }, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res))),
    );
  }
  async function failure(p: Promise<unknown>) {
    const err = (await p.then(() => undefined, (e) => e)) as grpc.ServiceError;
    if (!err) throw new Error('expected the call to fail');
    const detail = readGrpcError(err);
    return { status: err.code, code: detail.code, violations: detail.violations };
  }

  it('serves readiness and the JWKS over HTTP, the same keys as GetJwks', async () => {
    expect((await fetch(`http://127.0.0.1:${httpPort}/readyz`)).status).toBe(200);
    const res = await fetch(`http://127.0.0.1:${httpPort}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    const http = (await res.json()) as { keys: Record<string, string>[] };
    const rpc = await call('getJwks', {});
    expect(http.keys).toHaveLength(1);
    expect(http.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(http.keys[0]).not.toHaveProperty('d');
    expect(rpc.keys[0]).toMatchObject({ kid: http.keys[0].kid, x: http.keys[0].x, y: http.keys[0].y });
  });

  it('register → login → GetMe; errors carry their status and code', async () => {
    const user = await call('register', { email: 'Dev@grpc.test', password: 'developer pass', name: 'Dev' });
    expect(user).toMatchObject({ email: 'dev@grpc.test', roles: ['developer'] });
    expect(Date.parse(user.createdAt)).not.toBeNaN();

    expect(await failure(call('register', { email: 'DEV@GRPC.TEST', password: 'developer pass', name: 'Dev' }))).toMatchObject({
      status: grpc.status.ALREADY_EXISTS,
      code: 'EMAIL_TAKEN',
    });
    const bad = await failure(call('register', { email: 'x', password: 'short', name: '' }));
    expect(bad).toMatchObject({ status: grpc.status.INVALID_ARGUMENT, code: 'VALIDATION_FAILED' });
    expect(bad.violations.map((v) => v.field).sort()).toEqual(['email', 'name', 'password']);

    expect(await failure(call('login', { email: 'dev@grpc.test', password: 'nope nope nope' }))).toMatchObject({
      status: grpc.status.UNAUTHENTICATED,
      code: 'INVALID_CREDENTIALS',
    });
    const pair = await call('login', { email: 'dev@grpc.test', password: 'developer pass', clientIp: '203.0.113.9' });
    expect(pair.tokenType).toBe('Bearer');

    const me = await call('getMe', {}, pair.accessToken);
    expect(me).toMatchObject({ id: user.id, email: 'dev@grpc.test', name: 'Dev', roles: ['developer'] });
    expect(me.permissions).toContain('apikeys:manage');
    expect(await failure(call('getMe', {}))).toMatchObject({ status: grpc.status.UNAUTHENTICATED });
    expect(await failure(call('getMe', {}, 'garbage'))).toMatchObject({ status: grpc.status.UNAUTHENTICATED });

    const next = await call('refresh', { refreshToken: pair.refreshToken });
    expect(await failure(call('refresh', { refreshToken: pair.refreshToken }))).toMatchObject({ code: 'TOKEN_REUSED' });
    expect(await failure(call('refresh', { refreshToken: next.refreshToken }))).toMatchObject({ code: 'TOKEN_INVALID' });
    await call('logout', { refreshToken: next.refreshToken });
  });

  it('locks logins per account and client (x-client-ip metadata): the owner elsewhere still logs in', async () => {
    await call('register', { email: 'lock@grpc.test', password: 'developer pass', name: 'Lock' });
    const from = (ip: string) => ({ 'x-client-ip': ip });
    for (let i = 0; i < 5; i++) {
      const wrong = await failure(call('login', { email: 'lock@grpc.test', password: `wrong pass ${i}` }, undefined, from('198.51.100.1')));
      expect(wrong.code).toBe('INVALID_CREDENTIALS');
    }
    const right = { email: 'lock@grpc.test', password: 'developer pass' };
    expect(await failure(call('login', right, undefined, from('198.51.100.1')))).toMatchObject({
      status: grpc.status.RESOURCE_EXHAUSTED,
      code: 'RATE_LIMITED',
    });
    await expect(call('login', right, undefined, from('203.0.113.5'))).resolves.toHaveProperty('accessToken');
  });

  it('API keys: create (secret once), authenticate with narrowed perms, list, revoke', async () => {
    await call('register', { email: 'keys@grpc.test', password: 'developer pass', name: 'Keys' });
    const { accessToken } = await call('login', { email: 'keys@grpc.test', password: 'developer pass' });
    const created = await call('createApiKey', { name: 'ci', scopes: ['tasks:read'] }, accessToken);
    expect(created.key).toMatch(/^ak_/);
    expect(created.expiresAt).toBe('');

    const auth = await call('authenticateApiKey', { key: created.key });
    expect(auth).toMatchObject({ apiKeyId: created.id, expiresIn: 300 });
    const me = await call('getMe', {}, auth.accessToken);
    expect(me.permissions).toEqual(['tasks:read']);
    // A key-derived token cannot manage keys: its scopes do not include apikeys:manage.
    expect(await failure(call('listApiKeys', {}, auth.accessToken))).toMatchObject({ status: grpc.status.PERMISSION_DENIED });

    const list = await call('listApiKeys', { page: { limit: 10 } }, accessToken);
    expect(list.items).toEqual([expect.objectContaining({ id: created.id, prefix: created.prefix, scopes: ['tasks:read'] })]);
    expect(JSON.stringify(list)).not.toContain(created.key);

    await call('revokeApiKey', { id: created.id }, accessToken);
    expect(await failure(call('authenticateApiKey', { key: created.key }))).toMatchObject({
      status: grpc.status.UNAUTHENTICATED,
      code: 'API_KEY_INVALID',
    });
    expect(await failure(call('revokeApiKey', { id: created.id }, accessToken))).toMatchObject({ status: grpc.status.NOT_FOUND });
  });

  it('admin-only RPCs: developers get PERMISSION_DENIED, the bootstrapped admin gets through', async () => {
    const dev = await call('login', { email: 'dev@grpc.test', password: 'developer pass' });
    expect(await failure(call('listUsers', {}, dev.accessToken))).toMatchObject({ status: grpc.status.PERMISSION_DENIED });
    expect(await failure(call('listAuditEvents', {}, dev.accessToken))).toMatchObject({ status: grpc.status.PERMISSION_DENIED });

    const admin = await call('login', ADMIN);
    const users = await call('listUsers', { page: { limit: 100 } }, admin.accessToken);
    const devUser = users.items.find((u: { email: string }) => u.email === 'dev@grpc.test');
    expect(users.items[0]).toMatchObject({ email: ADMIN.email, roles: ['admin'] });

    expect(await failure(call('setUserRoles', { userId: devUser.id, roles: ['root'] }, admin.accessToken))).toMatchObject({
      status: grpc.status.INVALID_ARGUMENT,
    });
    expect(
      await failure(call('setUserRoles', { userId: '00000000-0000-4000-8000-000000000000', roles: ['viewer'] }, admin.accessToken)),
    ).toMatchObject({ status: grpc.status.NOT_FOUND });
    const changed = await call('setUserRoles', { userId: devUser.id, roles: ['viewer'] }, admin.accessToken);
    expect(changed.roles).toEqual(['viewer']);

    const audit = await call('listAuditEvents', { page: { limit: 100 } }, admin.accessToken);
    expect(audit.items[0]).toMatchObject({ type: 'user.roles_changed', subjectId: devUser.id });
    expect(JSON.parse(audit.items[0].detailsJson)).toMatchObject({ roles: ['viewer'] });
    const failedOnly = await call('listAuditEvents', { type: 'login.failed' }, admin.accessToken);
    expect(failedOnly.items.length).toBeGreaterThan(0);
    expect(failedOnly.items.every((e: { type: string }) => e.type === 'login.failed')).toBe(true);
  });

  it('audits where each action came from: x-client-ip / x-user-agent metadata', async () => {
    const client = (ip: string) => ({ 'x-client-ip': ip, 'x-user-agent': 'aether-cli/2.0' });
    await call('register', { email: 'where@grpc.test', password: 'developer pass', name: 'Where' }, undefined, client('192.0.2.10'));
    // Metadata wins over the legacy request field; the request field still works alone.
    const pair = await call('login', { email: 'where@grpc.test', password: 'developer pass', clientIp: '192.0.2.99' }, undefined, client('192.0.2.11'));
    const created = await call('createApiKey', { name: 'where' }, pair.accessToken, client('2001:db8::12'));
    await call('revokeApiKey', { id: created.id }, pair.accessToken, client('192.0.2.13'));
    await call('logout', { refreshToken: pair.refreshToken }, undefined, client('192.0.2.14'));
    const admin = await call('login', ADMIN);
    const users = await call('listUsers', { page: { limit: 100 } }, admin.accessToken);
    const me = users.items.find((u: { email: string }) => u.email === 'where@grpc.test');
    await call('setUserRoles', { userId: me.id, roles: ['viewer'] }, admin.accessToken, client('192.0.2.15'));
    // Garbage in the header is not an address: dropped, never stored.
    const spoofed = await call('register', { email: 'spoof@grpc.test', password: 'developer pass', name: 'S' }, undefined, { 'x-client-ip': 'not an ip' });

    const { items } = await call('listAuditEvents', { page: { limit: 100 } }, admin.accessToken);
    const find = (type: string, subjectId?: string) =>
      items.find((e: { type: string; subjectId: string }) => e.type === type && (!subjectId || e.subjectId === subjectId));
    expect(find('user.registered', me.id).ip).toBe('192.0.2.10');
    expect(find('user.logged_in', me.id).ip).toBe('192.0.2.11');
    expect(find('apikey.created', me.id).ip).toBe('2001:db8::12');
    expect(find('apikey.revoked', me.id).ip).toBe('192.0.2.13');
    expect(find('session.logged_out', me.id).ip).toBe('192.0.2.14');
    expect(find('user.roles_changed', me.id).ip).toBe('192.0.2.15');
    expect(JSON.parse(find('apikey.created', me.id).detailsJson)).toMatchObject({ userAgent: 'aether-cli/2.0' });
    expect(find('user.registered', spoofed.id).ip).toBe('');
    expect(JSON.stringify(items)).not.toContain('not an ip');
  });

  it('publishes the outbox events to RabbitMQ as CloudEvents', async () => {
    const types = [
      'security.user.registered',
      'security.user.logged_in',
      'security.login.failed',
      'security.token.reused',
      'security.apikey.created',
      'security.apikey.revoked',
      'security.user.roles_changed',
    ];
    await waitFor(() => types.every((t) => received.some((m) => m.routingKey === t)), { timeoutMs: 10000, what: 'all event types' });
    const registered = received.find((m) => m.routingKey === 'security.user.registered' && m.body.data.user.email === 'dev@grpc.test')!;
    expect(registered.body).toMatchObject({ specversion: '1.0', type: 'security.user.registered', source: 'security' });
    expect(registered.body.subject).toBe(registered.body.data.user.id);
    expect(JSON.stringify(received)).not.toMatch(/developer pass|admin password|\$argon2|ak_[A-Za-z0-9_-]{43}|rt_/);

    // The relay's publishes are counted on the service's own /metrics (the kit's registry).
    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    expect(metrics).toMatch(/messaging_messages_published_total\{[^}]*type="security\.user\.registered"[^}]*result="ok"[^}]*\} [1-9]/);
  });
  it('GetMe reads the user with one statement on the pool, without a TypeORM query runner', async () => {
    await call('register', { email: 'pool@grpc.test', password: 'developer pass', name: 'Pool' });
    const { accessToken } = await call('login', { email: 'pool@grpc.test', password: 'developer pass' });
    const db = svc.app.get(DataSource);
    // The outbox relay polls on its own timer with a query runner; one of its polls can fall
    // inside the call (a fresh-clone run saw it), so only runners created by other code count.
    const createQueryRunner = db.createQueryRunner.bind(db);
    const stacks: string[] = [];
    const runners = jest.spyOn(db, 'createQueryRunner').mockImplementation((...args) => {
      stacks.push(new Error().stack ?? '');
      return createQueryRunner(...args);
    });
    const statements = jest.spyOn(pgPool(db), 'query');
    try {
      await expect(call('getMe', {}, accessToken)).resolves.toMatchObject({ email: 'pool@grpc.test', name: 'Pool' });
      expect(stacks.filter((stack) => !/outbox/i.test(stack))).toEqual([]);
      expect(statements).toHaveBeenCalledTimes(1);
    } finally {
      runners.mockRestore();
      statements.mockRestore();
    }
  });
});
