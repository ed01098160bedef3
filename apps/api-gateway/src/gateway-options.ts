import type { FastifyServerOptions } from 'fastify';
import { parseTrustProxy } from './config/trust-proxy';

/**
 * Fastify options the gateway needs at construction, before the kit validates the env
 * (GatewayEnv checks the same variables and stops the process when they are bad).
 */
export function gatewayFastifyOptions(env: NodeJS.ProcessEnv = process.env): FastifyServerOptions {
  return {
    bodyLimit: Number(env.BODY_LIMIT_BYTES || 1_048_576),
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
  };
}
