import { Injectable } from '@nestjs/common';
import { SignJWT } from 'jose';
import { serviceSubject } from '@aether/auth';
import { randomUUID } from 'node:crypto';
import { Clock } from '../config/clock';
import { SecurityEnv } from '../config/security.env';
import { ACCESS_TOKEN_ALG, SigningKeys } from './signing-keys';

export interface AccessTokenSubject {
  userId: string;
  email: string;
  roles: string[];
  perms: string[];
}

export interface IssuedToken {
  token: string;
  expiresIn: number;
}

/**
 * Signs access tokens: ES256 JWTs with iss/aud/sub/email/roles/perms/iat/exp/jti and either
 * `sid` (the login's refresh-token family) or `akid` (the API key it was exchanged for). A
 * service token has `sub` service:<client>, `svc` <client>, no email and no roles.
 */
@Injectable()
export class AccessTokenIssuer {
  constructor(
    private readonly keys: SigningKeys,
    private readonly env: SecurityEnv,
    private readonly clock: Clock,
  ) {}

  forSession(subject: AccessTokenSubject, sessionId: string): Promise<IssuedToken> {
    return this.sign(subject, { sid: sessionId }, this.env.ACCESS_TOKEN_TTL_SECONDS);
  }

  forApiKey(subject: AccessTokenSubject, apiKeyId: string): Promise<IssuedToken> {
    return this.sign(subject, { akid: apiKeyId }, this.env.API_KEY_TOKEN_TTL_SECONDS);
  }

  forService(clientId: string, perms: readonly string[]): Promise<IssuedToken> {
    const subject = { userId: serviceSubject(clientId), email: '', roles: [], perms: [...perms] };
    return this.sign(subject, { svc: clientId }, this.env.SERVICE_TOKEN_TTL_SECONDS);
  }

  private async sign(s: AccessTokenSubject, extra: Record<string, string>, ttl: number): Promise<IssuedToken> {
    const iat = Math.floor(this.clock.now().getTime() / 1000);
    const token = await new SignJWT({ email: s.email, roles: s.roles, perms: s.perms, ...extra })
      .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, kid: this.keys.kid, typ: 'JWT' })
      .setIssuer(this.env.AUTH_ISSUER)
      .setAudience(this.env.AUTH_AUDIENCE)
      .setSubject(s.userId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttl)
      .setJti(randomUUID())
      .sign(this.keys.privateKey);
    return { token, expiresIn: ttl };
  }
}
