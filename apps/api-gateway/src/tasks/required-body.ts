import { ValidationError } from '@aether/service-kit';

/**
 * A PATCH must say what to change. The JSON parser takes an empty or white-space body as no body
 * at all, and Nest's validation would turn that into `{}` — a 200 for a request that sent nothing.
 * `{}` itself is a valid PATCH (it changes nothing); no body is a 400.
 */
export function requireJsonBody(body: unknown): void {
  if (body === undefined) {
    throw new ValidationError('The request is not valid', [{ field: '(body)', message: 'must be a JSON object' }]);
  }
}
