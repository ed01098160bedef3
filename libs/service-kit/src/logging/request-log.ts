import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

export const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * One line per finished HTTP request, with the fields pino-http wrote (req {id, method, url},
 * res {statusCode}, responseTime in ms; "request completed", or "request errored" for a 5xx;
 * info / warn for 4xx / error for 5xx; probes and scrapes not logged).
 *
 * Written from a Fastify onResponse hook instead of nestjs-pino's middleware: that middleware
 * built two child loggers per request (each serialising and redacting `req`) even when the line
 * is below LOG_LEVEL, and wrapped every request in an AsyncLocalStorage, which on Node 20 turns
 * on async_hooks promise tracking for the whole process (every promise pays an init hook).
 * Logs a handler writes carry the trace ids (mixin) and the request id where they pass it.
 */
export function installRequestLog(fastify: FastifyInstance, logger: Logger): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    const statusCode = reply.statusCode;
    const level = statusCode >= 500 ? 'error' : statusCode >= 400 ? 'warn' : 'info';
    if (logger.isLevelEnabled(level)) {
      const raw = request.raw as typeof request.raw & { originalUrl?: string };
      const url = raw.originalUrl ?? raw.url ?? '';
      const q = url.indexOf('?');
      if (!QUIET_PATHS.has(q === -1 ? url : url.slice(0, q))) {
        logger[level](
          { req: { id: request.id, method: request.method, url }, res: { statusCode }, responseTime: Math.round(reply.elapsedTime) },
          statusCode >= 500 ? 'request errored' : 'request completed',
        );
      }
    }
    done();
  });
}
