import { JwtAccessTokenVerifier, resolveAuthOptions, securityTokenFetcher, ServiceTokenProvider } from '@aether/auth';
import { GRPC_SERVICES, PROTO_LOADER_OPTIONS, protoFile, protoRoot, type securityV1 } from '@aether/contracts';
import { ClientProxyFactory, Transport, type ClientGrpc } from '@nestjs/microservices';
import { readGrpcError, type RunningService } from '@aether/service-kit';
import { createTempDatabase, createTempVhost, startTestService, type TempResource } from '@aether/testing';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { decodeJwt } from 'jose';
import { securityService } from '../src/service';

const SECRET = 'code-assistant-test-secret-0123456789abcdef';

/**
 * Client-credentials service tokens through the whole app over gRPC: the exchange, and the token
 * checked the way every other service checks tokens (the JWKS over HTTP, the gRPC guard).
 */
describe('IssueServiceToken (full app)', () => {
  let database: TempResource;
  let vhost: TempResource;
  let svc: RunningService;
  let client: grpc.Client & Record<string, Function>;
  const logs: string[] = [];
  const ADMIN = { email: 'admin@svc.test', password: 'admin password 1' };

  beforeAll(async () => {
    [database, vhost] = await Promise.all([createTempDatabase('security_svc'), createTempVhost('security_svc')]);
    const write = process.stdout.write.bind(process.stdout);
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: any, ...rest: any[]) => {
      logs.push(String(chunk));
      return write(chunk, ...rest);
    });
    svc = await startTestService(securityService, {
      env: {
        DATABASE_URL: database.url,
        RABBITMQ_URL: vhost.url,
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
        SERVICE_CLIENT_SECRETS: `code-assistant=${SECRET}`,
        SERVICE_TOKEN_TTL_SECONDS: '120',
        LOG_LEVEL: 'info',
      },
    });
    const def = protoLoader.loadSync(protoFile('security'), { ...PROTO_LOADER_OPTIONS, includeDirs: [protoRoot()] });
    const pkg = grpc.loadPackageDefinition(def) as any;
    client = new pkg.aether.security.v1.SecurityService(`127.0.0.1:${svc.grpcPort}`, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    client?.close();
    await svc?.shutdown();
    await vhost?.drop();
    await database?.drop();
  });

  function call<T = any>(method: string, req: object, token?: string): Promise<T> {
    const md = new grpc.Metadata();
    if (token) md.set('authorization', `Bearer ${token}`);
    return new Promise((resolve, reject) =>
      client[method](req, md, { deadline: Date.now() + 5000 }, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res))),
    );
  }
  async function failure(p: Promise<unknown>) {
    const err = (await p.then(() => undefined, (e) => e)) as grpc.ServiceError;
    if (!err) throw new Error('expected the call to fail');
    return { status: err.code, code: readGrpcError(err).code, message: err.details };
  }
  /** Verifies like every other service: the security service's JWKS over HTTP. */
  const verifier = () =>
    new JwtAccessTokenVerifier(resolveAuthOptions({ issuer: 'aether-security', audience: 'aether', jwksUrl: `http://127.0.0.1:${svc.httpPort}/.well-known/jwks.json` }));

  it('gives a configured client a short-lived token whose principal is that service, with only its permissions', async () => {
    const res = await call('IssueServiceToken', { clientId: 'code-assistant', clientSecret: SECRET });
    expect(res).toMatchObject({ tokenType: 'Bearer', expiresIn: 120, permissions: ['ai:use', 'integrations:github'] });
    const claims = decodeJwt(res.accessToken);
    expect(claims).toMatchObject({ sub: 'service:code-assistant', svc: 'code-assistant', email: '', roles: [], perms: ['ai:use', 'integrations:github'] });
    expect((claims.exp as number) - (claims.iat as number)).toBe(120);

    const principal = await verifier().verify(res.accessToken);
    expect(principal).toMatchObject({ userId: 'service:code-assistant', serviceId: 'code-assistant', roles: [], permissions: ['ai:use', 'integrations:github'] });

    // Through the gRPC guard: authenticated (GetMe finds no user behind it), but nothing beyond its permissions.
    expect(await failure(call('GetMe', {}, res.accessToken))).toMatchObject({ status: grpc.status.NOT_FOUND });
    expect(await failure(call('ListUsers', {}, res.accessToken))).toMatchObject({ status: grpc.status.PERMISSION_DENIED });
    expect(await failure(call('CreateApiKey', { name: 'k' }, res.accessToken))).toMatchObject({ status: grpc.status.PERMISSION_DENIED });
  });

  it("gives libs/auth's ServiceTokenProvider (the way services get their token) one token for a burst of callers", async () => {
    const proxy = ClientProxyFactory.create({
      transport: Transport.GRPC,
      options: {
        url: `127.0.0.1:${svc.grpcPort}`,
        package: GRPC_SERVICES.security.package,
        protoPath: protoFile('security'),
        loader: { ...PROTO_LOADER_OPTIONS, includeDirs: [protoRoot()] },
      },
    });
    try {
      const security = (proxy as unknown as ClientGrpc).getService<securityV1.SecurityServiceClient>(GRPC_SERVICES.security.service);
      let exchanges = 0;
      const fetcher = securityTokenFetcher(security, 'code-assistant', SECRET);
      const provider = new ServiceTokenProvider(async () => (exchanges++, fetcher()));
      const tokens = await Promise.all(Array.from({ length: 10 }, () => provider.token()));
      expect(new Set(tokens).size).toBe(1);
      expect(exchanges).toBe(1);
      expect((await verifier().verify(tokens[0])).serviceId).toBe('code-assistant');

      const wrong = new ServiceTokenProvider(securityTokenFetcher(security, 'code-assistant', 'not-the-secret'));
      expect(await failure(wrong.token())).toMatchObject({ status: grpc.status.UNAUTHENTICATED });
    } finally {
      await proxy.close();
    }
  });

  it('refuses a wrong secret and an unknown client alike (UNAUTHENTICATED), never echoing or logging the secret', async () => {
    const wrong = await failure(call('IssueServiceToken', { clientId: 'code-assistant', clientSecret: `${SECRET}x` }));
    const unknown = await failure(call('IssueServiceToken', { clientId: 'rag', clientSecret: SECRET }));
    const empty = await failure(call('IssueServiceToken', { clientId: '', clientSecret: '' }));
    for (const f of [wrong, unknown, empty]) {
      expect(f).toMatchObject({ status: grpc.status.UNAUTHENTICATED, code: 'INVALID_CLIENT_CREDENTIALS' });
      expect(f.message).not.toContain(SECRET);
    }
    expect(wrong.message).toBe(unknown.message);
    expect(logs.join('')).toContain('service token refused');
    expect(logs.join('')).not.toContain(SECRET);
  });

  it('leaves user tokens as they were: a login token is a user principal, no service fields', async () => {
    const pair = await call('Login', { email: ADMIN.email, password: ADMIN.password });
    const claims = decodeJwt(pair.accessToken);
    expect(claims.svc).toBeUndefined();
    expect(claims.sub).toMatch(/^[0-9a-f-]{36}$/);
    const principal = await verifier().verify(pair.accessToken);
    expect(principal.serviceId).toBeUndefined();
    expect(principal.roles).toEqual(['admin']);
    expect((await call('GetMe', {}, pair.accessToken)).email).toBe(ADMIN.email);
  });
});
