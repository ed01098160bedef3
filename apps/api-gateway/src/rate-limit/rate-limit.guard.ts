import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { RateLimitedError } from '@aether/service-kit';
import type { Principal } from '@aether/auth';
import type { GatewayRequest } from '../http/call-metadata';
import { isManagementRoute } from '../http/management-routes';
import { RATE_LIMIT_CLASS_KEY, RateLimitClass } from './rate-limit.decorator';
import { RateLimitDecision, RateLimits } from './rate-limits';

/** RateLimit-Limit / -Remaining / -Reset (draft-ietf-httpapi-ratelimit-headers) on the reply. */
export function setRateLimitHeaders(reply: FastifyReply, d: RateLimitDecision): void {
  reply.header('RateLimit-Limit', String(d.limit));
  reply.header('RateLimit-Remaining', String(d.remaining));
  reply.header('RateLimit-Reset', String(d.resetSeconds));
}

/** Spends a point and throws 429 (with Retry-After) when the window is used up. */
export async function enforceRateLimit(
  limits: RateLimits,
  reply: FastifyReply,
  cls: RateLimitClass,
  key: string,
): Promise<void> {
  const decision = await limits.consume(cls, key);
  setRateLimitHeaders(reply, decision);
  if (!decision.allowed) {
    throw new RateLimitedError('Too many requests; retry after the time in Retry-After', decision.resetSeconds);
  }
}

/**
 * Whose budget an authenticated request spends: the user's, whether they came with a JWT or any
 * of their API keys (per-key budgets would let a user multiply their limit by minting keys).
 */
export function identityKey(principal: Principal): string {
  return `user:${principal.userId}`;
}

/** Anonymous requests count per client IP (`request.ip` honours TRUST_PROXY). */
export function clientIpKey(request: GatewayRequest): string {
  return `ip:${request.ip}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Webhook deliveries count per connection (`:connectionId`), not per IP: one connection's burst
 * must not spend another's budget, nor the anonymous budget of the provider's egress IPs. A
 * malformed id (answered 400 by the route's pipe) counts as an anonymous request of its IP.
 */
export function webhookConnectionKey(request: GatewayRequest): string | undefined {
  const id = (request.params as Record<string, unknown> | undefined)?.connectionId;
  return typeof id === 'string' && UUID.test(id) ? `connection:${id.toLowerCase()}` : undefined;
}

/**
 * Runs after authentication: authenticated requests count against their identity, anonymous
 * ones against the client IP; `@RateLimit('auth')` routes use the strict per-IP class and
 * `@RateLimit('webhook')` routes the per-connection one.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly limits: RateLimits,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http' || isManagementRoute(ctx)) return true;
    const req = ctx.switchToHttp().getRequest<GatewayRequest & { shadowCopy?: boolean }>();
    // The gateway's own shadow copy of a request (src/migration) must not spend the caller's budget twice.
    if (req.shadowCopy === true) return true;
    const reply = ctx.switchToHttp().getResponse<FastifyReply>();
    const declared = this.reflector.getAllAndOverride<RateLimitClass | undefined>(RATE_LIMIT_CLASS_KEY, [
      ctx.getHandler(),
      ctx.getClass(),
    ]);
    let cls: RateLimitClass = declared ?? (req.principal ? 'default' : 'anonymous');
    let key = cls === 'default' && req.principal ? identityKey(req.principal) : clientIpKey(req);
    if (cls === 'webhook') {
      const connection = webhookConnectionKey(req);
      if (connection) key = connection;
      else cls = 'anonymous';
    }
    await enforceRateLimit(this.limits, reply, cls, key);
    return true;
  }
}
