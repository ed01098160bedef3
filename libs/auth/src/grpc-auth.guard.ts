import { Inject, Injectable, type CanActivate, type ExecutionContext, type Provider } from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import { ACCESS_TOKEN_VERIFIER, extractBearerToken, type AccessTokenVerifier } from './access-token.verifier';
import { isPublicHandler, requiredPermissions } from './guard-metadata';
import { assertPermissions } from './principal';
import { attachPrincipal } from './principal-context';

interface MetadataLike {
  get(key: string): unknown[];
}

function isMetadataLike(x: unknown): x is MetadataLike {
  return typeof x === 'object' && x !== null && typeof (x as MetadataLike).get === 'function';
}

/**
 * Authenticates every gRPC call from its `authorization: Bearer <jwt>` metadata, stores the
 * Principal for `principalFrom(metadata)` / `@CurrentPrincipal()`, and enforces
 * `@RequirePermissions`. Register it app-wide with `{ provide: APP_GUARD, useClass: GrpcAuthGuard }`.
 *
 * HTTP requests pass untouched: in a service they are the management endpoints (/healthz,
 * /metrics); the gateway authenticates HTTP with its own guard + PermissionsGuard. Other rpc
 * transports carry no gRPC metadata and are refused unless marked @Public().
 */
@Injectable()
export class GrpcAuthGuard implements CanActivate {
  constructor(
    @Inject(ACCESS_TOKEN_VERIFIER) private readonly verifier: AccessTokenVerifier,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'rpc') return true;
    if (isPublicHandler(this.reflector, ctx)) return true;

    const metadata = ctx.switchToRpc().getContext<unknown>();
    const header = isMetadataLike(metadata) ? metadata.get('authorization')[0] : undefined;
    const principal = await this.verifier.verify(extractBearerToken(header));
    attachPrincipal(metadata as object, principal);

    assertPermissions(principal, requiredPermissions(this.reflector, ctx));
    return true;
  }
}

/**
 * Add to a gRPC service's root providers: every RPC is authenticated (unless @Public()) and
 * checked against @RequirePermissions. The kit gives HTTP and gRPC one config, so an app-wide
 * guard reaches every handler; HTTP (management endpoints) is passed through by the guard.
 */
export const GrpcAuthAppGuard: Provider = { provide: APP_GUARD, useClass: GrpcAuthGuard };
