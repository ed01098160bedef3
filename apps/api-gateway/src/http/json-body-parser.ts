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
 * The public API speaks JSON only: every other body parser (Fastify's text/plain, Nest's
 * urlencoded) is removed, so other content types are a 415. The JSON parser fails with
 * MalformedJsonError and takes an empty body (a POST/DELETE with a JSON content type but
 * nothing in it) as no body. Fastify's own parser does the parsing (prototype-poisoning
 * protection). Routes that need raw or multipart bodies (webhooks, uploads) add their parser
 * after this runs.
 */
export function installJsonBodyParser(adapter: FastifyAdapter): void {
  // Nest registers its parsers once (idempotent); doing it first means it never re-adds them later.
  adapter.registerParserMiddleware();
  const fastify = adapter.getInstance() as unknown as FastifyInstance;
  const parse = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeAllContentTypeParsers();
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
