import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
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
 * Principal for `principalFrom(metadata)`, and enforces
 * `@RequirePermissions`. AuthModule provides it as the kit's GRPC_AUTH_GUARD, which the kit
 * installs on every gRPC server.
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
