import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { Metadata } from '@grpc/grpc-js';
import type { FastifyRequest } from 'fastify';
import { forwardAuthMetadata, type Principal } from '@aether/auth';

/** Forwarded on every upstream call so logs of all hops share the id. */
const REQUEST_ID_METADATA = 'x-request-id';

export type GatewayRequest = FastifyRequest & { principal?: Principal };

/**
 * Metadata for a gRPC call made on behalf of this request: the caller's access token (the
 * upstream service verifies it itself — a bare user id is never sent) and the request id.
 */
export function callMetadataFor(request: GatewayRequest): Metadata {
  const md = request.principal ? forwardAuthMetadata(request.principal) : new Metadata();
  md.set(REQUEST_ID_METADATA, String(request.id));
  return md;
}

/** Handler parameter: `@CallMetadata() md: Metadata`, passed as the 2nd argument of a client call. */
export const CallMetadata = createParamDecorator((_data: unknown, ctx: ExecutionContext) =>
  callMetadataFor(ctx.switchToHttp().getRequest<GatewayRequest>()),
);
