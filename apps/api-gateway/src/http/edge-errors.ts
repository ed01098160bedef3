import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { ValidationError } from '@aether/service-kit';
import { PROBLEM_CONTENT_TYPE, toProblem } from './problem-details';

/** A path or query Fastify cannot percent-decode (`/api/v1/tasks/%ff`). */
export class BadUrlError extends ValidationError {
  constructor() {
    super('The URL is not valid: it has a malformed percent-encoding', [], 'BAD_URL');
  }
}

/** Bytes Node's HTTP parser could not read as an HTTP/1.1 request. */
export class MalformedHttpRequestError extends ValidationError {
  constructor() {
    super('The request is not valid HTTP/1.1', [], 'BAD_REQUEST');
  }
}

/** Failures Fastify reports before routing (FST_ERR_BAD_URL, FST_ERR_ASYNC_CONSTRAINT). */
function frameworkErrorAsProblem(error: FastifyError): unknown {
  if (error.code === 'FST_ERR_BAD_URL') return new BadUrlError();
  // Anything else Fastify reports here is ours, not the client's: a 500 without its message.
  return error;
}

/**
 * Fastify's `frameworkErrors`: these requests never reach Nest (no route matched yet), so the
 * app-wide filter and the onSend hook that adds X-Request-Id do not run; render them here.
 */
export function renderFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const requestId = String(request.id);
  const problem = toProblem(frameworkErrorAsProblem(error), requestId);
  if (problem.unexpected) request.log.error({ err: error, requestId }, 'request failed before routing');
  void reply
    .code(problem.body.status)
    .headers(problem.headers)
    .header('x-request-id', requestId)
    .type(PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify(problem.body));
}

/** What Node's HTTP parser reports (`err.code`), as the HTTP status to answer with. */
function clientErrorStatus(code: string | undefined): number {
  if (code === 'HPE_HEADER_OVERFLOW') return 431; // request line + headers over maxHeaderSize (16 KB)
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408; // headersTimeout / requestTimeout ran out
  return 400; // HPE_INVALID_METHOD, HPE_INVALID_HEADER_TOKEN, HPE_UNEXPECTED_CONTENT_LENGTH, …
}

/**
 * The raw HTTP/1.1 answer to a request Node's parser refused. There is no request object (the
 * bytes did not parse), so the client's X-Request-Id cannot be trusted or even read: the id is new.
 */
export function clientErrorResponse(code: string | undefined, requestId: string = randomUUID()): string {
  const status = clientErrorStatus(code);
  const problem = toProblem(status === 400 ? new MalformedHttpRequestError() : { statusCode: status }, requestId);
  const body = JSON.stringify(problem.body);
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Bad Request'}`,
    `Content-Type: ${PROBLEM_CONTENT_TYPE}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    `X-Request-Id: ${requestId}`,
    'Connection: close',
  ];
  return `${head.join('\r\n')}\r\n\r\n${body}`;
}

/** A socket of Node's HTTP server, with the response in progress on it, if any. */
type ServerSocket = Socket & { _httpMessage?: { headersSent?: boolean } };

/**
 * The server's `clientError` handler (Fastify's `clientErrorHandler`): Node's parser refused the
 * bytes (malformed request line or header, conflicting lengths, headers over 16 KB, header
 * timeout) before any route or hook could run. Like Node's own handler it answers only while
 * nothing was written on the socket, then closes the connection.
 */
export function handleClientError(err: Error & { code?: string }, socket: Socket): void {
  const s = socket as ServerSocket;
  if (err.code === 'ECONNRESET' || s.destroyed) return;
  if (s.writable && !s._httpMessage?.headersSent) s.write(clientErrorResponse(err.code));
  s.destroy(err);
}

/** The Fastify options that make pre-routing failures problem+json like every other error. */
export function edgeErrorOptions(): Pick<FastifyServerOptions, 'frameworkErrors' | 'clientErrorHandler'> {
  return { frameworkErrors: renderFrameworkError, clientErrorHandler: handleClientError };
}
