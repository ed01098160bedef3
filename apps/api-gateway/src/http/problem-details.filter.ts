import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { OpenAiErrorFilter } from '../ai/openai-errors';
import { PROBLEM_CONTENT_TYPE, toProblem } from './problem-details';

/** The OpenAI-compatible surface: its errors keep OpenAI's shape even before a route runs. */
const isOpenAiPath = (url: string) => url === '/v1' || url.startsWith('/v1/') || url.startsWith('/v1?');

/**
 * Renders every error of an HTTP request — domain errors, upstream gRPC errors, Nest and Fastify
 * errors (bad JSON, body too large, unknown route) — as problem+json. Registered app-wide.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');
  private readonly openAi = new OpenAiErrorFilter();

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    // Malformed JSON, 413 and 415 on /v1/* are raised by the body parser before the OpenAI
    // controller (and its own filter) is reached: render them as the SDKs expect too.
    if (isOpenAiPath(request.url)) return this.openAi.catch(exception, host);
    const reply = http.getResponse<FastifyReply>();
    const problem = toProblem(exception, String(request.id));
    if (problem.unexpected) {
      this.logger.error({ err: exception, requestId: request.id }, 'request failed unexpectedly');
    }
    if (reply.sent) return; // a streamed answer broke half-way: nothing more can be said
    reply.status(problem.body.status).headers(problem.headers).type(PROBLEM_CONTENT_TYPE).send(problem.body);
  }
}
