import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { UnauthenticatedError } from '@aether/service-kit';
import { isPublicHandler, requiredPermissions } from './guard-metadata';
import { assertPermissions } from './principal';
import { principalFromContext } from './principal-context';

/**
 * Enforces `@RequirePermissions` against an already-authenticated principal: `request.principal`
 * on HTTP (set by the gateway's authentication guard, which must run first) or the principal
 * GrpcAuthGuard stored for an rpc call. It authenticates nothing itself; handlers without
 * required permissions pass.
 */
@Injectable()
export class PermissionsGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(ctx: ExecutionContext): boolean {
    if (isPublicHandler(this.reflector, ctx)) return true;
    const required = requiredPermissions(this.reflector, ctx);
    if (required.length === 0) return true;
    const principal = principalFromContext(ctx);
    if (!principal) throw new UnauthenticatedError('TOKEN_MISSING', 'An access token is required');
    assertPermissions(principal, required);
    return true;
  }
}
