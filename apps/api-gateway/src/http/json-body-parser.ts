import type { FastifyInstance } from 'fastify';
import type { FastifyAdapter } from '@nestjs/platform-fastify';
import { ValidationError } from '@aether/service-kit';

/** Malformed JSON is a 400 with its own stable code (Nest would report a bare "Bad Request"). */
export class MalformedJsonError extends ValidationError {
  constructor() {
    super('The request body is not valid JSON', [], 'MALFORMED_JSON');
  }
}

/**
 * Replaces the JSON body parser with one that fails with MalformedJsonError, and accepts an
 * empty body (a DELETE or POST sent with a JSON content type but nothing in it) as no body.
 * Fastify's default parser is kept for the parsing itself (prototype-poisoning protection).
 */
export function installJsonBodyParser(adapter: FastifyAdapter): void {
  // Nest registers its parsers once (idempotent); doing it first means it never re-adds them later.
  adapter.registerParserMiddleware();
  const fastify = adapter.getInstance() as unknown as FastifyInstance;
  const parse = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (body === '' || (typeof body === 'string' && body.trim() === '')) {
      done(null, undefined);
      return;
    }
    parse(req, body as string, (err: Error | null, value?: unknown) => {
      if (err) done(new MalformedJsonError(), undefined);
      else done(null, value);
    });
  });
}
