import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { Metadata } from '@grpc/grpc-js';
import type { FastifyRequest } from 'fastify';
import {
  CLIENT_IP_METADATA,
  forwardAuthMetadata,
  normaliseUserAgent,
  REQUEST_ID_METADATA,
  USER_AGENT_METADATA,
  type Principal,
} from '@aether/auth';

export type GatewayRequest = FastifyRequest & { principal?: Principal };

/**
 * Metadata for a gRPC call made on behalf of this request: the caller's access token (the
 * upstream service verifies it itself — a bare user id is never sent), the request id, and the
 * client's IP and user agent (so every upstream audit entry can say where an action came from).
 */
export function callMetadataFor(request: GatewayRequest): Metadata {
  const md = request.principal ? forwardAuthMetadata(request.principal) : new Metadata();
  md.set(REQUEST_ID_METADATA, String(request.id));
  if (request.ip) md.set(CLIENT_IP_METADATA, request.ip);
  const userAgent = userAgentOf(request);
  if (userAgent) md.set(USER_AGENT_METADATA, userAgent);
  return md;
}

/** The User-Agent, bounded and stripped of characters that are not legal in gRPC metadata. */
function userAgentOf(request: GatewayRequest): string | undefined {
  const raw = request.headers['user-agent'];
  return normaliseUserAgent(Array.isArray(raw) ? raw[0] : raw);
}

/** Handler parameter: `@CallMetadata() md: Metadata`, passed as the 2nd argument of a client call. */
export const CallMetadata = createParamDecorator((_data: unknown, ctx: ExecutionContext) =>
  callMetadataFor(ctx.switchToHttp().getRequest<GatewayRequest>()),
);
