import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Metadata } from '@grpc/grpc-js';
import { permissionsForRoles, type Principal, type Role } from '@aether/auth';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { actorOf, type Actor } from '../../src/common/actor';

/**
 * Stands in for the security service's token side: a JWKS endpoint on a random port and
 * ES256 access tokens for made-up users with real role → permission sets.
 */
export class TestIdentities {
  private server?: Server;
  private privateKey!: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  private jwk!: Record<string, unknown>;

  async start(): Promise<this> {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    this.privateKey = privateKey;
    this.jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'ES256', use: 'sig' };
    this.server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [this.jwk] }));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return this;
  }

  get jwksUrl(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/.well-known/jwks.json`;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  async user(role: Role = 'developer', userId = randomUUID()): Promise<TestUser> {
    const permissions = permissionsForRoles([role]);
    const token = await new SignJWT({ email: `${userId.slice(0, 8)}@example.com`, roles: [role], perms: permissions })
      .setProtectedHeader({ alg: 'ES256', kid: 'test-key' })
      .setSubject(userId)
      .setIssuer('aether-security')
      .setAudience('aether')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(this.privateKey);
    const principal: Principal = { userId, email: `${userId.slice(0, 8)}@example.com`, roles: [role], permissions, accessToken: token };
    return new TestUser(principal);
  }
}

export class TestUser {
  readonly actor: Actor;
  constructor(readonly principal: Principal) {
    this.actor = actorOf(principal);
  }
  get id(): string {
    return this.principal.userId;
  }
  metadata(): Metadata {
    const md = new Metadata();
    md.set('authorization', `Bearer ${this.principal.accessToken}`);
    return md;
  }
}
