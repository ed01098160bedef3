import { createHash } from 'node:crypto';
import { createServer, Server as HttpServer } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose';
import { PROTO_LOADER_OPTIONS, protoFile, protoRoot } from '@aether/contracts';
import { ROLE_PERMISSIONS, type Role } from '@aether/auth';
import { statusDetailsMetadata } from '@aether/service-kit';

type Handler = (call: { request: any; metadata: grpc.Metadata }) => unknown;

/** A stable UUID-shaped id for a string (fake API key ids). */
function uuidFor(value: string): string {
  const h = createHash('sha256').update(value).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function grpcError(code: grpc.status, details: string, errorCode?: string): grpc.ServiceError {
  const metadata = statusDetailsMetadata({ grpcCode: code, message: details, reason: errorCode });
  return Object.assign(new Error(details), { code, details, metadata });
}

/**
 * A stand-in for the security service, for gateway tests that should not depend on it: a real
 * gRPC server speaking security.proto with a small in-memory behaviour, plus a JWKS endpoint and
 * an ES256 key that signs access tokens the gateway's verifier accepts.
 */
export class FakeSecurity {
  readonly calls: { method: string; request: any; metadata: grpc.Metadata }[] = [];
  readonly users = new Map<string, { id: string; email: string; name: string; roles: string[] }>();
  readonly revokedKeys = new Set<string>();
  /** Milliseconds a method waits before it answers (for tests of requests still in flight). */
  readonly delays = new Map<string, number>();
  private server?: grpc.Server;
  private jwksServer?: HttpServer;
  private privateKey!: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  private jwk!: JWK;
  grpcPort = 0;
  jwksUrl = '';

  static async start(): Promise<FakeSecurity> {
    const fake = new FakeSecurity();
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    fake.privateKey = privateKey;
    fake.jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'ES256', use: 'sig' };
    fake.jwksServer = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [fake.jwk] }));
    });
    await new Promise<void>((r) => fake.jwksServer!.listen(0, '127.0.0.1', r));
    fake.jwksUrl = `http://127.0.0.1:${(fake.jwksServer.address() as { port: number }).port}/.well-known/jwks.json`;
    await fake.startGrpc(0);
    return fake;
  }

  async token(userId: string, role: Role, extra: Record<string, unknown> = {}): Promise<string> {
    return new SignJWT({ email: `${userId}@example.com`, roles: [role], perms: [...ROLE_PERMISSIONS[role]], ...extra })
      .setProtectedHeader({ alg: 'ES256', kid: 'test-key' })
      .setSubject(userId)
      .setIssuer('aether-security')
      .setAudience('aether')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(this.privateKey);
  }

  callsOf(method: string) {
    return this.calls.filter((c) => c.method === method);
  }

  private handlers(): Record<string, Handler> {
    return {
      register: ({ request }) => {
        const email = String(request.email).toLowerCase();
        if (this.users.has(email)) throw grpcError(grpc.status.ALREADY_EXISTS, 'That email is already registered', 'EMAIL_TAKEN');
        const user = { id: crypto.randomUUID(), email, name: request.name, roles: ['developer'] };
        this.users.set(email, user);
        return { ...user, createdAt: '2025-01-01T00:00:00.000Z' };
      },
      login: ({ request }) => {
        if (request.password !== 'correct horse battery') {
          throw grpcError(grpc.status.UNAUTHENTICATED, 'Invalid email or password', 'INVALID_CREDENTIALS');
        }
        return { accessToken: 'at', refreshToken: 'rt', tokenType: 'Bearer', expiresIn: 900 };
      },
      logout: () => ({}),
      getMe: ({ metadata }) => {
        const auth = String(metadata.get('authorization')[0] ?? '');
        if (!auth.startsWith('Bearer ')) throw grpcError(grpc.status.UNAUTHENTICATED, 'no token', 'TOKEN_MISSING');
        return { id: 'u1', email: 'u1@example.com', name: 'U1', roles: ['developer'], permissions: ['tasks:read'] };
      },
      authenticateApiKey: async ({ request }) => {
        if (!String(request.key).startsWith('ak_good') || this.revokedKeys.has(request.key)) {
          throw grpcError(grpc.status.UNAUTHENTICATED, 'bad key', 'API_KEY_INVALID');
        }
        // Every key string is its own key (own id), all owned by the same user.
        const apiKeyId = uuidFor(String(request.key));
        const token = await this.token('key-owner', 'developer', { akid: apiKeyId });
        return { accessToken: token, expiresIn: 300, userId: 'key-owner', apiKeyId };
      },
      createApiKey: ({ request }) => ({
        id: crypto.randomUUID(),
        name: request.name,
        prefix: 'ak_good',
        scopes: request.scopes,
        createdAt: '2025-01-01T00:00:00.000Z',
        expiresAt: request.expiresAt,
        key: `ak_good${crypto.randomUUID().replace(/-/g, '')}`,
      }),
      listApiKeys: () => ({
        items: [{ id: 'k1', name: 'n', prefix: 'ak_good', scopes: [], createdAt: '2025-01-01T00:00:00.000Z', expiresAt: '', lastUsedAt: '' }],
        nextCursor: '',
      }),
      revokeApiKey: () => {
        this.revokedKeys.add('ak_good_revocable');
        return {};
      },
      listUsers: () => ({ items: [...this.users.values()].map((u) => ({ ...u, createdAt: '2025-01-01T00:00:00.000Z' })), nextCursor: 'next-page' }),
      getJwks: () => ({ keys: [{ kty: 'EC', kid: 'test-key', alg: 'ES256', use: 'sig', crv: 'P-256', x: 'xx', y: 'yy', n: '', e: '' }] }),
    };
  }

  async startGrpc(port: number): Promise<void> {
    const def = protoLoader.loadSync(protoFile('security'), { ...PROTO_LOADER_OPTIONS, includeDirs: [protoRoot()] });
    const pkg = grpc.loadPackageDefinition(def) as any;
    const service = pkg.aether.security.v1.SecurityService.service as grpc.ServiceDefinition;
    const handlers = this.handlers();
    const impl: grpc.UntypedServiceImplementation = {};
    for (const [name, method] of Object.entries(service)) {
      const key = (method as { originalName?: string }).originalName ?? name;
      impl[name] = (call: any, callback: grpc.sendUnaryData<unknown>) => {
        this.calls.push({ method: key, request: call.request, metadata: call.metadata });
        const h = handlers[key];
        if (!h) return callback(grpcError(grpc.status.UNIMPLEMENTED, 'not in the fake'));
        const delay = this.delays.get(key) ?? 0;
        (delay > 0 ? new Promise((r) => setTimeout(r, delay)) : Promise.resolve())
          .then(() => h(call))
          .then((res) => callback(null, res), (err) => callback(err));
      };
    }
    this.server = new grpc.Server();
    this.server.addService(service, impl);
    this.grpcPort = await new Promise<number>((resolve, reject) =>
      this.server!.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
  }

  stopGrpc(): void {
    this.server?.forceShutdown();
    this.server = undefined;
  }

  async stop(): Promise<void> {
    this.stopGrpc();
    await new Promise<void>((r) => (this.jwksServer ? this.jwksServer.close(() => r()) : r()));
  }
}
