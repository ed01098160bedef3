import type { IncomingHttpHeaders } from 'node:http';
import type { GatewayRequest } from '../../src/http/call-metadata';
import { legacyRequestHeaders, legacyResponseHeaders } from '../../src/migration/legacy-headers';
import { compareAnswers, learnNoise, pathMatches, redactJson, redactUrl, sampleBody, type CapturedAnswer } from '../../src/migration/shadow-compare';
import { createHmac } from 'node:crypto';
import { identitySigningInput } from '../../src/migration/legacy-headers';

const json = (status: number, value: unknown, type = 'application/json'): CapturedAnswer => ({ status, contentType: type, body: Buffer.from(JSON.stringify(value)) });

describe('compareAnswers', () => {
  it('ignores key order and compares numbers by value', () => {
    expect(compareAnswers(json(200, { a: 1, b: { c: [1, 2] } }), { status: 200, contentType: 'application/json', body: Buffer.from('{"b":{"c":[1,2.0]},"a":1}') }).equal).toBe(true);
  });

  it('names what differs: status, type, JSON paths', () => {
    const r = compareAnswers(json(200, { items: [{ id: 1, t: 'x' }], next: null }), json(201, { items: [{ id: 1, t: 'y' }, { id: 2 }], extra: 1 }, 'application/problem+json'));
    expect(r.differences).toEqual(['status', 'contentType', 'items.length', 'items.0.t', 'next', 'extra']);
  });

  it('leaves out ignorePaths, with * for any key or index, and what is below them', () => {
    const a = json(200, { items: [{ id: 1, updatedAt: 'x' }], meta: { at: 1, n: 1 } });
    const b = json(200, { items: [{ id: 1, updatedAt: 'y' }], meta: { at: 2, n: 1 } });
    expect(compareAnswers(a, b).equal).toBe(false);
    expect(compareAnswers(a, b, ['items.*.updatedAt', 'meta.at']).equal).toBe(true);
    expect(compareAnswers(a, b, ['items', 'meta']).equal).toBe(true);
    expect(pathMatches('a.*', 'a.0.b')).toBe(true);
    expect(pathMatches('a.b', 'a')).toBe(false);
  });

  it('compares non-JSON bodies byte for byte, and skips bodies too large to capture', () => {
    const text = (s: string): CapturedAnswer => ({ status: 200, contentType: 'text/plain', body: Buffer.from(s) });
    expect(compareAnswers(text('a'), text('a')).equal).toBe(true);
    expect(compareAnswers(text('a'), text('b')).differences).toEqual(['body']);
    expect(compareAnswers({ status: 200, contentType: 'text/plain' }, text('b')).equal).toBe(true);
  });
});

describe('learnNoise', () => {
  it('is what differs between two answers of the same side, generalised over indices', () => {
    const one = json(200, { items: [{ id: 1, at: 'x' }], requestId: 'a', stable: 1 });
    const two = json(200, { items: [{ id: 1, at: 'y' }], requestId: 'b', stable: 1 });
    expect(learnNoise(one, two).sort()).toEqual(['items.*.at', 'requestId']);
    // A flapping status is a finding, not noise.
    expect(learnNoise(json(200, {}), json(500, {}))).toEqual([]);
  });
});

describe('redaction', () => {
  it('redacts credential-looking members, values and query parameters', () => {
    expect(redactJson({ password: 'p', accessToken: 't', nested: [{ apiKey: 'k', ok: 1, h: 'Bearer abc.def' }], key: 'x', keyboard: 'y' })).toEqual({
      password: '[REDACTED]',
      accessToken: '[REDACTED]',
      nested: [{ apiKey: '[REDACTED]', ok: 1, h: '[REDACTED]' }],
      key: '[REDACTED]',
      keyboard: 'y',
    });
    expect(redactUrl('/a?token=s&q=1&api_key=k')).toBe('/a?token=%5BREDACTED%5D&q=1&api_key=%5BREDACTED%5D');
    expect(sampleBody({ status: 200, contentType: 'text/plain', body: Buffer.from('Authorization: Bearer xyz') })).toBe('Authorization: Bearer [REDACTED]');
    expect(sampleBody({ status: 200, contentType: 'image/png', body: Buffer.alloc(3) })).toBe('<3 bytes of image/png>');
  });
});

describe('legacy headers', () => {
  const request = { ip: '10.0.0.7', protocol: 'https', headers: { host: 'api.example.com' }, id: 'req-1', method: 'GET', url: '/a?b=1' } as unknown as GatewayRequest;
  const principal = { userId: 'u1', email: 'u@example.com', roles: ['developer'], permissions: ['tasks:read'], accessToken: 'jwt', apiKeyId: 'k1' } as never;
  const client: IncomingHttpHeaders = {
    host: 'api.example.com',
    connection: 'keep-alive, x-secret-hop',
    'x-secret-hop': '1',
    'keep-alive': 'timeout=5',
    te: 'trailers',
    'proxy-authorization': 'Basic x',
    upgrade: 'websocket',
    authorization: 'Bearer ak_client',
    'x-api-key': 'ak_client',
    'x-aether-user-id': 'evil',
    'x-aether-signature': 'forged',
    'x-forwarded-for': '6.6.6.6',
    forwarded: 'for=6.6.6.6',
    'x-real-ip': '6.6.6.6',
    accept: 'application/json',
    cookie: 'legacy_session=1',
  };

  it('drops hop-by-hop, client credentials and client identity; sets forwarding, request id and the verified identity', () => {
    const out = legacyRequestHeaders(request, client, principal, undefined);
    for (const h of ['connection', 'x-secret-hop', 'keep-alive', 'te', 'proxy-authorization', 'upgrade', 'x-api-key', 'forwarded', 'x-real-ip', 'x-aether-signature']) expect(out[h]).toBeUndefined();
    expect(out).toMatchObject({
      accept: 'application/json',
      cookie: 'legacy_session=1',
      authorization: 'Bearer jwt',
      'x-aether-user-id': 'u1',
      'x-aether-user-email': 'u@example.com',
      'x-aether-roles': 'developer',
      'x-aether-permissions': 'tasks:read',
      'x-aether-api-key-id': 'k1',
      'x-forwarded-for': '10.0.0.7',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'api.example.com',
      'x-request-id': 'req-1',
    });
    const anonymous = legacyRequestHeaders(request, client, undefined, undefined);
    expect(anonymous['x-aether-user-id']).toBeUndefined();
    expect(anonymous.authorization).toBeUndefined();
  });

  it('signs the identity with LEGACY_IDENTITY_SECRET', () => {
    const secret = 's'.repeat(32);
    const out = legacyRequestHeaders(request, client, principal, secret);
    const [, ts, mac] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(out['x-aether-signature']))!;
    const expected = createHmac('sha256', secret).update(identitySigningInput(Number(ts), 'req-1', 'GET', '/a?b=1', out as Record<string, string>)).digest('hex');
    expect(mac).toBe(expected);
  });

  it('passes the monolith’s answer headers less hop-by-hop and gateway-owned ones', () => {
    const out = legacyResponseHeaders({ 'content-type': 'text/html', connection: 'close', 'transfer-encoding': 'chunked', 'x-aether-served-by': 'new', 'x-request-id': 'theirs', 'set-cookie': ['a=1'] });
    expect(out).toEqual({ 'content-type': 'text/html', 'set-cookie': ['a=1'] });
  });
});
