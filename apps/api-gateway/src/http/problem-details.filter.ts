import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, toProblem } from './problem-details';

/**
 * Renders every error of an HTTP request — domain errors, upstream gRPC errors, Nest and Fastify
 * errors (bad JSON, body too large, unknown route) — as problem+json. Registered app-wide.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const problem = toProblem(exception, String(request.id));
    if (problem.unexpected) {
      this.logger.error({ err: exception, requestId: request.id }, 'request failed unexpectedly');
    }
    if (reply.sent) return; // a streamed answer broke half-way: nothing more can be said
    reply.status(problem.body.status).headers(problem.headers).type(PROBLEM_CONTENT_TYPE).send(problem.body);
  }
}
