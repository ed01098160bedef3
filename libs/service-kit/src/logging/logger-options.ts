import { trace } from '@opentelemetry/api';
import type { Params } from 'nestjs-pino';
import { requestIdOf } from './request-id';

const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** JSON logs with service name, request id and trace ids; secrets redacted. */
export function loggerOptions(service: string, level: string): Params {
  return {
    pinoHttp: {
      level,
      base: { service },
      messageKey: 'msg',
      timestamp: () => `,"time":"${new Date().toISOString()}"`,
      formatters: { level: (label: string) => ({ level: label }) },
      genReqId: (req) => requestIdOf(req),
      customAttributeKeys: { reqId: 'requestId' },
      autoLogging: {
        ignore: (req) => QUIET_PATHS.has(((req as { originalUrl?: string }).originalUrl ?? req.url ?? '').split('?')[0]),
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      // pino-http invents an Error ("failed with status code 503") for every 5xx without one; a
      // stack trace of the logger itself helps nobody, so such lines keep only the response.
      customErrorObject: (_req, _res, error, val) =>
        error.message.startsWith('failed with status code') ? { ...val, err: undefined } : val,
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
