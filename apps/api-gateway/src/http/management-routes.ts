import type { ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/**
 * The kit's management endpoints share the gateway's HTTP port. They are for probes and
 * Prometheus: no credentials, no rate limit (a throttled liveness probe would restart pods).
 */
export const MANAGEMENT_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

export function isManagementRoute(ctx: ExecutionContext): boolean {
  const req = ctx.switchToHttp().getRequest<FastifyRequest>();
  return MANAGEMENT_ROUTES.has(req.routeOptions?.url ?? '');
}
