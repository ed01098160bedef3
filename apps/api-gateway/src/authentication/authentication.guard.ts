import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { UnauthenticatedError } from '@aether/service-kit';
import { ACCESS_TOKEN_VERIFIER, IS_PUBLIC_KEY, type AccessTokenVerifier } from '@aether/auth';
import type { GatewayRequest } from '../http/call-metadata';
import { isManagementRoute } from '../http/management-routes';
import { clientIpKey, enforceRateLimit } from '../rate-limit/rate-limit.guard';
import { RateLimits } from '../rate-limit/rate-limits';
import { ApiKeyAuthenticator } from './api-key.authenticator';
import { extractCredential } from './credentials';

/**
 * First of the gateway's app-wide guards: every route needs a credential unless it is marked
 * `@Public()`. Sets `request.principal`, which PermissionsGuard, the rate limiter, idempotency
 * and `@CallMetadata()` read.
 *
 * Failed authentications spend the client IP's anonymous rate-limit budget, so nobody can use
 * the gateway to hammer security with guessed keys or forged tokens.
 */
@Injectable()
export class AuthenticationGuard implements CanActivate {
  constructor(
    @Inject(ACCESS_TOKEN_VERIFIER) private readonly verifier: AccessTokenVerifier,
    private readonly apiKeys: ApiKeyAuthenticator,
    private readonly limits: RateLimits,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http' || isManagementRoute(ctx)) return true;
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, [ctx.getHandler(), ctx.getClass()]);
    if (isPublic === true) return true;

    const req = ctx.switchToHttp().getRequest<GatewayRequest>();
    try {
      const credential = extractCredential(req.headers);
      if (!credential) {
        throw new UnauthenticatedError('TOKEN_MISSING', 'Authentication is required: send a Bearer access token or an API key');
      }
      req.principal =
        credential.kind === 'jwt'
          ? await this.verifier.verify(credential.token)
          : await this.apiKeys.authenticate(credential.key, req);
      return true;
    } catch (err) {
      if (err instanceof UnauthenticatedError) {
        await enforceRateLimit(this.limits, ctx.switchToHttp().getResponse<FastifyReply>(), 'anonymous', clientIpKey(req));
      }
      throw err;
    }
  }
}
