import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Metadata } from '@grpc/grpc-js';
import { DEFAULT_AUTH_AUDIENCE, DEFAULT_AUTH_ISSUER, permissionsForRoles, serviceSubject, type Permission, type Principal, type Role } from '@aether/auth';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

/**
 * Stands in for the security service's token side: a JWKS endpoint on a random port (pass
 * `jwksUrl` as AUTH_JWKS_URL to any service) and ES256 access tokens for made-up users with the
 * real role → permission sets, signed with the issuer/audience the services expect by default.
 */
export class TestIdentities {
  private server?: Server;
  private privateKey?: PrivateKey;
  private jwk?: Record<string, unknown>;

  async start(): Promise<this> {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    this.privateKey = privateKey;
    this.jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'ES256', use: 'sig' };
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [this.jwk] }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    this.server = server;
    return this;
  }

  get jwksUrl(): string {
    if (!this.server) throw new Error('TestIdentities.start() has not been called');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/.well-known/jwks.json`;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    // Services keep their JWKS connections alive; without this close() would wait for them.
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  /** A new user (random id unless given) holding `role`, with a 1-hour access token. */
  async user(role: Role = 'developer', userId: string = randomUUID()): Promise<TestUser> {
    if (!this.privateKey) throw new Error('TestIdentities.start() has not been called');
    const email = `${userId.slice(0, 8)}@example.com`;
    const permissions = permissionsForRoles([role]);
    const accessToken = await new SignJWT({ email, roles: [role], perms: permissions })
      .setProtectedHeader({ alg: 'ES256', kid: 'test-key' })
      .setSubject(userId)
      .setIssuer(DEFAULT_AUTH_ISSUER)
      .setAudience(DEFAULT_AUTH_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(this.privateKey);
    return new TestUser({ userId, email, roles: [role], permissions, accessToken });
  }

  /** A service caller (what security's IssueServiceToken signs): sub service:<id>, svc claim, no roles. */
  async service(serviceId: string, permissions: Permission[]): Promise<TestUser> {
    if (!this.privateKey) throw new Error('TestIdentities.start() has not been called');
    const userId = serviceSubject(serviceId);
    const accessToken = await new SignJWT({ email: '', roles: [], perms: permissions, svc: serviceId })
      .setProtectedHeader({ alg: 'ES256', kid: 'test-key' })
      .setSubject(userId)
      .setIssuer(DEFAULT_AUTH_ISSUER)
      .setAudience(DEFAULT_AUTH_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(this.privateKey);
    return new TestUser({ userId, email: '', roles: [], permissions, serviceId, accessToken });
  }
}

/** A made-up caller: its Principal (as a service would verify it) and its token in transport form. */
export class TestUser {
  constructor(readonly principal: Principal) {}

  get id(): string {
    return this.principal.userId;
  }

  /** gRPC metadata carrying the access token, as the gateway forwards it. */
  metadata(): Metadata {
    const md = new Metadata();
    md.set('authorization', `Bearer ${this.principal.accessToken}`);
    return md;
  }

  /** HTTP headers carrying the access token. */
  bearer(): { authorization: string } {
    return { authorization: `Bearer ${this.principal.accessToken}` };
  }
}
