import type { ExecutionContext } from '@nestjs/common';
import { UnauthenticatedError } from '@aether/service-kit';
import type { Principal } from './principal';

/**
 * Where the verified caller is kept. gRPC: on the call's Metadata object (the handler gets the
 * same object as the guard) under a module-private symbol, so it lives exactly as long as the
 * call and can never be forged by a client-sent metadata entry (those are strings in the
 * Metadata's map, never properties of the object). A property rather than a WeakMap entry: a
 * WeakMap filled with one short-lived key per call made every scavenge walk its ephemeron table
 * (issue 16). HTTP: `request.principal`, set by the gateway.
 */
const RPC_PRINCIPAL = Symbol('aether.rpcPrincipal');
type WithPrincipal = { [RPC_PRINCIPAL]?: Principal };

/** The HTTP request property the gateway's authentication guard fills. */
export const PRINCIPAL_REQUEST_KEY = 'principal';

export interface RequestWithPrincipal {
  principal?: Principal;
}

export function attachPrincipal(metadata: object, principal: Principal): void {
  (metadata as WithPrincipal)[RPC_PRINCIPAL] = principal;
}

/** The principal GrpcAuthGuard stored for this call, or undefined (public handler, no guard). */
export function findPrincipal(metadata: object | undefined | null): Principal | undefined {
  return metadata && typeof metadata === 'object' ? (metadata as WithPrincipal)[RPC_PRINCIPAL] : undefined;
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
