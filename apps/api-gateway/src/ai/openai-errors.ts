import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, readGrpcError } from '@aether/service-kit';
import { isGrpcServiceError, toProblem } from '../http/problem-details';

/** OpenAI's error body: what the official SDKs parse into APIError (message, type, param, code). */
export interface OpenAiError {
  error: { message: string; type: string; param: string | null; code: string | null };
}

const TYPE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'invalid_request_error',
  413: 'invalid_request_error',
  415: 'invalid_request_error',
  429: 'rate_limit_error',
};

/** The Aether code → OpenAI's code, for errors the gateway itself raises (auth, edge limits, validation). */
function openAiCode(status: number, code: string): string | null {
  if (/^[a-z_]+$/.test(code)) return code; // ai-gateway's codes already are OpenAI's
  if (status === 401) return 'invalid_api_key';
  if (status === 429) return 'rate_limit_exceeded';
  if (status === 400 || status === 413 || status === 415) return 'invalid_request_error';
  if (status === 404) return 'not_found';
  if (status >= 500) return 'upstream_unavailable';
  return code.toLowerCase();
}

function retryAfterSecondsOf(err: unknown): number | undefined {
  if (isGrpcServiceError(err)) return readGrpcError(err).retryAfterSeconds;
  if (err instanceof DomainError) {
    const s = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    return typeof s === 'number' ? s : undefined;
  }
  return undefined;
}

/** Status, headers and OpenAI-shaped body of any error raised while serving /v1/*. */
export function toOpenAiError(err: unknown, requestId: string): { status: number; headers: Record<string, string>; body: OpenAiError; unexpected: boolean } {
  const problem = toProblem(err, requestId);
  const { status } = problem.body;
  const code = openAiCode(status, problem.body.code);
  const headers: Record<string, string> = { ...problem.headers };
  let type = TYPE_BY_STATUS[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
  if (code === 'budget_exceeded') {
    type = 'insufficient_quota';
    // The budget is spent until the day turns: retrying now cannot help (the SDKs honour this).
    headers['x-should-retry'] = 'false';
    delete headers['retry-after'];
  } else if (status === 429) {
    const seconds = retryAfterSecondsOf(err) ?? Number(headers['retry-after'] ?? 1);
    headers['retry-after-ms'] = String(Math.max(0, Math.round(seconds * 1000)));
    headers['retry-after'] = String(Math.max(0, Math.ceil(seconds)));
  }
  const param = problem.body.errors?.[0]?.field ?? null;
  const message = problem.body.detail || 'Request failed';
  return { status, headers, body: { error: { message, type, param, code } }, unexpected: problem.unexpected };
}

/**
 * Errors on /v1/* in OpenAI's shape `{error:{message,type,param,code}}` (not problem+json), so
 * the official SDKs raise their usual typed errors: 400 invalid_request_error, 401, 404
 * model_not_found, 429 budget_exceeded (insufficient_quota, x-should-retry: false) or
 * rate_limit_exceeded (retry-after, retry-after-ms), 502/503/504 upstream_unavailable.
 * Bound to the OpenAI-compatible controller, so it also covers its guards (401, 403, 429).
 */
@Catch()
export class OpenAiErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('OpenAiErrors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const rendered = toOpenAiError(exception, String(request.id));
    if (rendered.unexpected) this.logger.error({ err: exception, requestId: request.id }, 'request failed unexpectedly');
    if (reply.sent || reply.raw.headersSent) return;
    reply.status(rendered.status).headers(rendered.headers).type('application/json').send(rendered.body);
  }
}
