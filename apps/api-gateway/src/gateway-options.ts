import type { FastifyServerOptions } from 'fastify';
import { parseTrustProxy } from './config/trust-proxy';
import { edgeErrorOptions } from './http/edge-errors';

/**
 * Fastify options the gateway needs at construction, before the kit validates the env
 * (GatewayEnv checks the same variables and stops the process when they are bad).
 */
export function gatewayFastifyOptions(env: NodeJS.ProcessEnv = process.env): FastifyServerOptions {
  return {
    bodyLimit: Number(env.BODY_LIMIT_BYTES || 1_048_576),
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    // Bad URLs and requests Node's parser refuses are answered as problem+json too.
    ...edgeErrorOptions(),
  };
}
