import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ACCESS_TOKEN_VERIFIER, extractBearerToken, type AccessTokenVerifier } from './access-token.verifier';
import { isPublicHandler, requiredPermissions } from './guard-metadata';
import { assertPermissions, type Principal } from './principal';
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
  /** Per handler: @Public and @RequirePermissions, read once instead of on every call. */
  private readonly rules = new WeakMap<object, { classRef: unknown; isPublic: boolean; required: string[] }>();

  constructor(
    @Inject(ACCESS_TOKEN_VERIFIER) private readonly verifier: AccessTokenVerifier,
    private readonly reflector: Reflector,
  ) {}

  /**
   * Always a promise (a rejected one for a refused call), but no async function: a token the
   * verifier has already verified is admitted with one shared resolved promise, no await hops.
   */
  canActivate(ctx: ExecutionContext): Promise<boolean> {
    try {
      if (ctx.getType() !== 'rpc') return ADMITTED;
      const rules = this.rulesOf(ctx);
      if (rules.isPublic) return ADMITTED;

      const metadata = ctx.switchToRpc().getContext<unknown>();
      const header = isMetadataLike(metadata) ? metadata.get('authorization')[0] : undefined;
      const token = extractBearerToken(header);
      const known = this.verifier.peek?.(token);
      if (known) {
        admit(metadata as object, known, rules.required);
        return ADMITTED;
      }
      return this.verifier.verify(token).then((principal) => {
        admit(metadata as object, principal, rules.required);
        return true;
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private rulesOf(ctx: ExecutionContext) {
    const handler = ctx.getHandler();
    const classRef = ctx.getClass();
    let rules = this.rules.get(handler);
    if (!rules || rules.classRef !== classRef) {
      rules = { classRef, isPublic: isPublicHandler(this.reflector, ctx), required: requiredPermissions(this.reflector, ctx) };
      this.rules.set(handler, rules);
    }
    return rules;
  }
}

const ADMITTED = Promise.resolve(true);

function admit(metadata: object, principal: Principal, required: readonly string[]): void {
  attachPrincipal(metadata, principal);
  assertPermissions(principal, required);
}
