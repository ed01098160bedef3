import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Principal } from '@aether/auth';
import type { GatewayRequest } from '../http/call-metadata';

/** RFC 9110 §7.6.1 connection-specific headers (plus the non-standard ones proxies see): never forwarded. */
export const HOP_BY_HOP_HEADERS: readonly string[] = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
];

/** Identity the monolith may trust: the gateway always sets these itself (the client's are dropped). */
export const IDENTITY_HEADERS = {
  userId: 'x-aether-user-id',
  email: 'x-aether-user-email',
  roles: 'x-aether-roles',
  permissions: 'x-aether-permissions',
  apiKeyId: 'x-aether-api-key-id',
  /** `t=<unix seconds>,v1=<hex HMAC-SHA256>` over the identity, when LEGACY_IDENTITY_SECRET is set. */
  signature: 'x-aether-signature',
} as const;

/** What the gateway decides for the client (X-Aether-Served-By, …): a client or the monolith never sets them. */
const GATEWAY_OWNED_PREFIX = 'x-aether-';

function stripHopByHop(headers: Record<string, unknown>): void {
  const listed = typeof headers.connection === 'string' ? headers.connection.split(',').map((h) => h.trim().toLowerCase()) : [];
  for (const h of [...HOP_BY_HOP_HEADERS, ...listed]) delete headers[h];
}

/**
 * The string the identity signature covers: timestamp, request id, method, path and query, and
 * the identity headers' values, newline-separated (documented in the README for the monolith).
 */
export function identitySigningInput(ts: number, requestId: string, method: string, url: string, identity: Record<string, string>): string {
  return [String(ts), requestId, method.toUpperCase(), url, identity[IDENTITY_HEADERS.userId] ?? '', identity[IDENTITY_HEADERS.roles] ?? '', identity[IDENTITY_HEADERS.permissions] ?? '', identity[IDENTITY_HEADERS.apiKeyId] ?? ''].join('\n');
}

/**
 * Headers of a request forwarded to the monolith. Dropped: hop-by-hop headers, the client's
 * credentials (the monolith gets the verified identity instead, plus the access token, which it
 * can verify against the JWKS), every client-sent `x-aether-*` header and any client-sent
 * forwarding headers. Set: `X-Forwarded-For/-Proto/-Host` (the client as TRUST_PROXY lets the
 * gateway see it), `X-Request-Id`, and for an authenticated caller the identity headers.
 */
export function legacyRequestHeaders(request: GatewayRequest, headers: IncomingHttpHeaders, principal: Principal | undefined, secret: string | undefined): IncomingHttpHeaders {
  const out: Record<string, string | string[] | undefined> = { ...headers };
  stripHopByHop(out);
  for (const name of Object.keys(out)) {
    if (name.startsWith(GATEWAY_OWNED_PREFIX) || name.startsWith('x-forwarded-')) delete out[name];
  }
  delete out['forwarded'];
  delete out['x-real-ip'];
  delete out['x-api-key'];
  delete out['authorization'];
  out['x-forwarded-for'] = request.ip;
  out['x-forwarded-proto'] = request.protocol;
  const host = request.headers.host;
  if (host) out['x-forwarded-host'] = host;
  out['x-request-id'] = String(request.id);
  if (principal) {
    const identity: Record<string, string> = {
      [IDENTITY_HEADERS.userId]: principal.userId,
      [IDENTITY_HEADERS.email]: principal.email,
      [IDENTITY_HEADERS.roles]: principal.roles.join(','),
      [IDENTITY_HEADERS.permissions]: principal.permissions.join(','),
    };
    if (principal.apiKeyId) identity[IDENTITY_HEADERS.apiKeyId] = principal.apiKeyId;
    Object.assign(out, identity);
    out['authorization'] = `Bearer ${principal.accessToken}`;
    if (secret) {
      const ts = Math.floor(Date.now() / 1000);
      const mac = createHmac('sha256', secret).update(identitySigningInput(ts, String(request.id), request.method, request.url, identity)).digest('hex');
      out[IDENTITY_HEADERS.signature] = `t=${ts},v1=${mac}`;
    }
  }
  return out as IncomingHttpHeaders;
}

/** Headers of the monolith's answer passed to the client: less hop-by-hop and gateway-owned ones. */
export function legacyResponseHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: Record<string, unknown> = { ...headers };
  stripHopByHop(out);
  for (const name of Object.keys(out)) if (name.startsWith(GATEWAY_OWNED_PREFIX)) delete out[name];
  // The gateway's own request id and rate-limit headers describe this request, not the monolith's.
  for (const h of ['x-request-id', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset']) delete out[h];
  return out as IncomingHttpHeaders;
}
