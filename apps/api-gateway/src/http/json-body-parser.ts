import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FastifyAdapter } from '@nestjs/platform-fastify';
import { findMalformedText, ValidationError } from '@aether/service-kit';

/**
 * Deepest nesting of arrays and objects a JSON body may have. No DTO of the public API comes
 * near it (a schedule's task template is 3 levels); without a bound, a body of a few KB nested
 * 10,000 levels deep overflows the stack of every recursive walk after parsing (class-transformer,
 * class-validator, the idempotency fingerprint).
 */
export const MAX_JSON_DEPTH = 64;

/** Malformed JSON is a 400 with its own stable code (Nest would report a bare "Bad Request"). */
export class MalformedJsonError extends ValidationError {
  constructor() {
    super('The request body is not valid JSON', [], 'MALFORMED_JSON');
  }
}

export class JsonTooDeepError extends ValidationError {
  constructor(maxDepth: number) {
    super(`The request body nests arrays and objects deeper than ${maxDepth} levels`, [], 'JSON_TOO_DEEP');
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * True when `text` opens more than `maxDepth` arrays/objects at once. One pass, no recursion,
 * no allocation: brackets inside strings (escapes included) are text, not structure. It does not
 * validate the JSON (JSON.parse does that next); it only bounds what parsing may build.
 */
export function jsonNestsDeeperThan(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++; // the escaped character, whatever it is, is not a quote
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/**
 * The public API speaks JSON only: every other body parser (Fastify's text/plain, Nest's
 * urlencoded) is removed, so other content types are a 415. The JSON parser fails with
 * MalformedJsonError, refuses nesting deeper than MAX_JSON_DEPTH (JsonTooDeepError, checked on
 * the raw text before parsing) and takes an empty body (a POST/DELETE with a JSON content type
 * but nothing in it) as no body. Fastify's own parser does the parsing (prototype-poisoning
 * protection). Routes that need raw or multipart bodies (webhooks, uploads) add their parser
 * after this runs.
 */
export function installJsonBodyParser(adapter: FastifyAdapter, maxDepth = MAX_JSON_DEPTH): void {
  // Nest registers its parsers once (idempotent); doing it first means it never re-adds them later.
  adapter.registerParserMiddleware();
  const fastify = adapter.getInstance() as unknown as FastifyInstance;
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, jsonBodyParser(fastify, maxDepth));
}

/** The gateway's JSON parsing (empty = no body, depth bound, malformed → 400) for routes that register their own content type. */
export function jsonBodyParser(fastify: FastifyInstance, maxDepth = MAX_JSON_DEPTH) {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  return (req: FastifyRequest, body: string | Buffer, done: (err: Error | null, value?: unknown) => void): void => {
    const text = body as string;
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    if (jsonNestsDeeperThan(text, maxDepth)) {
      done(new JsonTooDeepError(maxDepth), undefined);
      return;
    }
    parse(req, text, (err: Error | null, value?: unknown) => {
      if (err) return done(new MalformedJsonError(), undefined);
      // A lone surrogate (`"\ud800"`) cannot cross gRPC or reach a store as sent (it would turn
      // into U+FFFD, or make a validator throw): refused here, for every route (helper P).
      const malformed = findMalformedText(value);
      if (malformed) return done(new ValidationError('The request is not valid', [{ field: malformed, message: 'must be well-formed Unicode (no unpaired surrogate \\uD800-\\uDFFF)' }]), undefined);
      done(null, value);
    });
  };
}
