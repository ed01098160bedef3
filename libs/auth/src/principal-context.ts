import type { ExecutionContext } from '@nestjs/common';
import { UnauthenticatedError } from '@aether/service-kit';
import type { Principal } from './principal';

/**
 * Where the verified caller is kept. gRPC: keyed by the call's Metadata object (the handler gets
 * the same object as the guard), in a WeakMap so nothing outlives the call and the principal can
 * never be forged by a client-sent metadata entry. HTTP: `request.principal`, set by the gateway.
 */
const rpcPrincipals = new WeakMap<object, Principal>();

/** The HTTP request property the gateway's authentication guard fills. */
export const PRINCIPAL_REQUEST_KEY = 'principal';

export interface RequestWithPrincipal {
  principal?: Principal;
}

export function attachPrincipal(metadata: object, principal: Principal): void {
  rpcPrincipals.set(metadata, principal);
}

/** The principal GrpcAuthGuard stored for this call, or undefined (public handler, no guard). */
export function findPrincipal(metadata: object | undefined | null): Principal | undefined {
  return metadata && typeof metadata === 'object' ? rpcPrincipals.get(metadata) : undefined;
}

/** The caller of a gRPC handler: `principalFrom(metadata)`; throws 401 when none was verified. */
export function principalFrom(metadata: object | undefined | null): Principal {
  const principal = findPrincipal(metadata);
  if (!principal) throw new UnauthenticatedError('TOKEN_MISSING', 'An access token is required');
  return principal;
}

/** The principal of an HTTP request (request.principal) or of a gRPC call (its metadata). */
export function principalFromContext(ctx: ExecutionContext): Principal | undefined {
  switch (ctx.getType<string>()) {
    case 'http': {
      const req = ctx.switchToHttp().getRequest<RequestWithPrincipal | undefined>();
      return req?.[PRINCIPAL_REQUEST_KEY];
    }
    case 'rpc':
      return findPrincipal(ctx.switchToRpc().getContext());
    default:
      return undefined;
  }
}
