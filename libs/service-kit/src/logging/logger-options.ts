import { trace } from '@opentelemetry/api';
import type { Params } from 'nestjs-pino';

/**
 * JSON logs with service name, request id and trace ids; secrets redacted. The per-request line
 * comes from installRequestLog (a Fastify hook); nestjs-pino's request middleware is not mounted
 * (`forRoutes: []`), so no request pays for child loggers or an AsyncLocalStorage.
 */
export function loggerOptions(service: string, level: string): Params {
  return {
    forRoutes: [],
    pinoHttp: {
      level,
      base: { service },
      messageKey: 'msg',
      timestamp: () => `,"time":"${new Date().toISOString()}"`,
      formatters: { level: (label: string) => ({ level: label }) },
      mixin() {
        const ctx = trace.getActiveSpan()?.spanContext();
        return ctx ? { traceId: ctx.traceId, spanId: ctx.spanId } : {};
      },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers["x-api-key"]',
          'req.headers.cookie',
          'res.headers["set-cookie"]',
          '*.password',
          '*.refreshToken',
          '*.accessToken',
          '*.key',
          // integration-hub connection secrets, should one ever reach a log object.
          '*.secrets',
          '*.webhookSecret',
          '*.signingSecret',
          '*.botToken',
          '*.incomingWebhookUrl',
          '*.webhookUrl',
        ],
        censor: '[redacted]',
      },
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    },
  };
}
