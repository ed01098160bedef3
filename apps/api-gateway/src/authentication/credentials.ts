import { UnauthenticatedError } from '@aether/service-kit';

export type Credential = { kind: 'jwt'; token: string } | { kind: 'apiKey'; key: string };

export const API_KEY_PREFIX = 'ak_';

const invalid = (message: string) => new UnauthenticatedError('TOKEN_INVALID', message);

function single(value: string | string[] | undefined): string | undefined {
  if (Array.isArray(value)) {
    if (value.length > 1) throw invalid('Send one credential header, not several');
    return value[0];
  }
  return value;
}

/**
 * The credential of a request: `Authorization: Bearer <jwt>`, `Authorization: Bearer ak_...`
 * (OpenAI-style SDKs) or `X-API-Key: ak_...`. Undefined when none was sent; a malformed or
 * conflicting one is a 401 (never silently ignored).
 */
export function extractCredential(headers: Record<string, string | string[] | undefined>): Credential | undefined {
  const authorization = single(headers['authorization']);
  const apiKeyHeader = single(headers['x-api-key']);

  let fromAuthorization: Credential | undefined;
  if (authorization !== undefined && authorization !== '') {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    if (!match) throw invalid('The Authorization header must be "Bearer <token or API key>"');
    const token = match[1];
    fromAuthorization = token.startsWith(API_KEY_PREFIX) ? { kind: 'apiKey', key: token } : { kind: 'jwt', token };
  }

  if (apiKeyHeader !== undefined && apiKeyHeader !== '') {
    const key = apiKeyHeader.trim();
    if (!key.startsWith(API_KEY_PREFIX) || /\s/.test(key)) {
      throw new UnauthenticatedError('API_KEY_INVALID', 'The API key is not valid');
    }
    if (fromAuthorization && !(fromAuthorization.kind === 'apiKey' && fromAuthorization.key === key)) {
      throw invalid('Send either Authorization or X-API-Key, not two different credentials');
    }
    return { kind: 'apiKey', key };
  }
  return fromAuthorization;
}
