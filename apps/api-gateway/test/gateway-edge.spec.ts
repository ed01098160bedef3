import { connect } from 'node:net';
import type Redis from 'ioredis';
import { TEST_REDIS_URL, startTestService, uniqueName, type TestService } from '@aether/testing';
import { apiGatewayService } from '../src/service';
import { MAX_JSON_DEPTH } from '../src/http/json-body-parser';
import { FakeSecurity } from './fake-security';
import { connectedRedis, dropPrefix } from './redis-helpers';

/**
 * The gateway's edge, in-process over real sockets: hostile bodies (deep nesting), requests
 * Fastify or Node's HTTP parser refuse before any route runs (431, bad URLs, malformed request
 * lines), and concurrent duplicates of one Idempotency-Key. Every answer is problem+json with a
 * code, a requestId and X-Request-Id — never a 500.
 */
describe('api-gateway edge', () => {
  let fake: FakeSecurity;
  let gateway: TestService;
  let base: string;
  let port: number;
  let redis: Redis;
  const prefix = `${uniqueName('gw_edge')}:`;
  let ipCounter = 1;
  const freshIp = () => `203.0.113.${ipCounter++}`;

  beforeAll(async () => {
    fake = await FakeSecurity.start();
    redis = await connectedRedis();
    gateway = await startTestService(apiGatewayService, {
      env: {
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: prefix,
        SECURITY_GRPC_URL: `127.0.0.1:${fake.grpcPort}`,
        AUTH_JWKS_URL: fake.jwksUrl,
        GRPC_DEADLINE_MS: '2000',
        RATE_LIMIT_AUTH_POINTS: '1000',
        RATE_LIMIT_ANON_POINTS: '1000',
        TRUST_PROXY: 'true',
      },
    });
    port = gateway.httpPort;
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await gateway?.close();
    await fake?.stop();
    await dropPrefix(redis, prefix);
    await redis.quit();
  });

  async function call(method: string, path: string, opts: { raw?: string; body?: unknown; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { 'x-forwarded-for': freshIp(), ...opts.headers };
    let body = opts.raw;
    if (opts.body !== undefined) body = JSON.stringify(opts.body);
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const res = await fetch(base + path, { method, headers, body });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, json, text };
  }

  /** A raw HTTP exchange: what is written is sent byte for byte, the answer is read to EOF. */
  function rawExchange(request: string | Buffer): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      const chunks: Buffer[] = [];
      socket.setTimeout(5000, () => socket.destroy(new Error('no answer within 5 s')));
      socket.on('data', (c) => chunks.push(c));
      socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
      socket.on('error', reject);
      socket.write(request);
    });
  }

  function parseRaw(raw: string) {
    const [head, ...rest] = raw.split('\r\n\r\n');
    const [statusLine, ...headerLines] = head.split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of headerLines) {
      const i = line.indexOf(':');
      headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const body = rest.join('\r\n\r\n');
    return { status: Number(statusLine.split(' ')[1]), statusLine, headers, body, json: JSON.parse(body) };
  }

  function expectProblem(res: { status: number; json: any; headers: { get(n: string): string | null } | Record<string, string> }, status: number, code: string) {
    const header = (n: string) => ('get' in res.headers && typeof res.headers.get === 'function' ? (res.headers as Headers).get(n) : (res.headers as Record<string, string>)[n]);
    expect(res.status).toBe(status);
    expect(header('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.json).toMatchObject({ status, code, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
    expect(res.json.requestId).toEqual(expect.any(String));
    expect(header('x-request-id')).toBe(res.json.requestId);
  }

  const nested = (depth: number, open = '[', close = ']', inner = '1') => open.repeat(depth) + inner + close.repeat(depth);

  describe('deeply nested JSON', () => {
    const routes: [string, string][] = [
      ['POST', '/api/v1/auth/register'],
      ['POST', '/api/v1/auth/login'],
      ['POST', '/api/v1/auth/refresh'],
    ];

    it.each(routes)('%s %s: 10,000 and 3,000 levels are a 400 JSON_TOO_DEEP, never a 500', async (method, path) => {
      for (const depth of [10_000, 3_000]) {
        const arrays = await call(method, path, { raw: nested(depth) });
        expectProblem(arrays, 400, 'JSON_TOO_DEEP');
        const objects = await call(method, path, { raw: `{"email":${nested(depth, '{"a":', '}')}}` });
        expectProblem(objects, 400, 'JSON_TOO_DEEP');
      }
    });

    it('is refused before any route work: idempotent and authenticated routes too', async () => {
      const deep = `{"name":${nested(10_000, '{"a":', '}')}}`;
      const before = fake.calls.length;
      const idempotent = await call('POST', '/api/v1/auth/register', { raw: deep, headers: { 'idempotency-key': uniqueName('deep') } });
      expectProblem(idempotent, 400, 'JSON_TOO_DEEP');
      const token = await fake.token('deep-1', 'admin');
      for (const [method, path] of [['POST', '/api/v1/api-keys'], ['PUT', `/api/v1/users/${crypto.randomUUID()}/roles`]]) {
        const res = await call(method, path, { raw: deep, headers: { authorization: `Bearer ${token}` } });
        expectProblem(res, 400, 'JSON_TOO_DEEP');
      }
      expect(fake.calls.length).toBe(before); // nothing reached security
    });

    it('accepts nesting up to the documented maximum and counts brackets inside strings as text', async () => {
      // Deep but allowed: the body parses and fails validation as an ordinary 400.
      const atLimit = await call('POST', '/api/v1/auth/login', { raw: `{"email":${nested(MAX_JSON_DEPTH - 1)}}` });
      expectProblem(atLimit, 400, 'VALIDATION_FAILED');
      const overLimit = await call('POST', '/api/v1/auth/login', { raw: `{"email":${nested(MAX_JSON_DEPTH)}}` });
      expectProblem(overLimit, 400, 'JSON_TOO_DEEP');
      const brackets = `"${'['.repeat(5000)}\\"${'{'.repeat(5000)}"`;
      const inString = await call('POST', '/api/v1/auth/login', { raw: `{"email":${brackets},"password":"x"}` });
      expectProblem(inString, 400, 'VALIDATION_FAILED');
    });
  });

  describe('requests refused before routing', () => {
    it('431 for a 100 KB token, a 20 KB header and a 16 KB URL', async () => {
      const token = await call('GET', '/api/v1/auth/me', { headers: { authorization: `Bearer ${'a'.repeat(100 * 1024)}` } });
      expectProblem(token, 431, 'HEADERS_TOO_LARGE');
      const header = await call('GET', '/api/v1/auth/me', { headers: { 'x-padding': 'p'.repeat(20 * 1024) } });
      expectProblem(header, 431, 'HEADERS_TOO_LARGE');
      const url = await call('GET', `/api/v1/tasks?q=${'u'.repeat(16 * 1024)}`);
      expectProblem(url, 431, 'HEADERS_TOO_LARGE');
    });

    it('400 BAD_URL for an undecodable path id, with the client request id echoed', async () => {
      const res = await call('GET', '/api/v1/tasks/%ff', { headers: { 'x-request-id': 'edge-bad-url' } });
      expectProblem(res, 400, 'BAD_URL');
      expect(res.json.requestId).toBe('edge-bad-url');
    });

    it.each([
      ['a malformed request line', 'GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n'],
      ['a header without a colon', 'GET /healthz HTTP/1.1\r\nHost: x\r\nno-colon-here\r\n\r\n'],
      ['a space before the colon', 'GET /healthz HTTP/1.1\r\nHost : x\r\n\r\n'],
      ['an invalid method', 'G@T /healthz HTTP/1.1\r\nHost: x\r\n\r\n'],
      ['conflicting lengths', 'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}'],
    ])('400 problem+json for %s (Node parser error)', async (_name, request) => {
      const res = parseRaw(await rawExchange(request));
      expectProblem(res, 400, 'BAD_REQUEST');
      expect(res.headers.connection).toBe('close');
      expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.body));
    });

    it('431 problem+json from Node for oversized headers on a raw socket', async () => {
      const res = parseRaw(await rawExchange(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20 * 1024)}\r\n\r\n`));
      expectProblem(res, 431, 'HEADERS_TOO_LARGE');
    });
  });

  describe('concurrent duplicates of one Idempotency-Key', () => {
    afterEach(() => fake.delays.clear());

    it('20 at once: one creates, the rest get 409 with Retry-After, and the retry then replays', async () => {
      fake.delays.set('register', 400); // the first request is still in flight when the others arrive
      const key = uniqueName('idem-race');
      const ip = freshIp();
      const before = fake.callsOf('register').length;
      const body = { email: `${key}@example.com`, password: 'correct horse battery', name: 'Racer' };
      const send = () => call('POST', '/api/v1/auth/register', { body, headers: { 'x-forwarded-for': ip, 'idempotency-key': key } });
      const answers = await Promise.all(Array.from({ length: 20 }, send));
      expect(fake.callsOf('register').length - before).toBe(1);
      const created = answers.filter((a) => a.status === 201);
      expect(created).toHaveLength(1);
      const busy = answers.filter((a) => a.status !== 201);
      expect(busy).toHaveLength(19);
      for (const a of busy) {
        expectProblem(a, 409, 'IDEMPOTENCY_REQUEST_IN_PROGRESS');
        expect(a.headers.get('retry-after')).toBe('1');
      }
      // Waiting as told gets the first answer back, not a second account.
      await new Promise((r) => setTimeout(r, Number(busy[0].headers.get('retry-after')) * 1000));
      const retry = await send();
      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(retry.json).toEqual(created[0].json);
      expect(fake.callsOf('register').length - before).toBe(1);
    });

    it('20 at once with an instant upstream: exactly one creates, every other answer is its replay or a 409 with Retry-After', async () => {
      const key = uniqueName('idem-race-fast');
      const ip = freshIp();
      const before = fake.callsOf('register').length;
      const body = { email: `${key}@example.com`, password: 'correct horse battery', name: 'Racer' };
      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          call('POST', '/api/v1/auth/register', { body, headers: { 'x-forwarded-for': ip, 'idempotency-key': key } }),
        ),
      );
      expect(fake.callsOf('register').length - before).toBe(1);
      const created = answers.filter((a) => a.status === 201);
      const fresh = created.filter((a) => a.headers.get('idempotent-replayed') === null);
      expect(fresh).toHaveLength(1);
      for (const replay of created) expect(replay.json).toEqual(fresh[0].json);
      for (const a of answers.filter((x) => x.status !== 201)) {
        expectProblem(a, 409, 'IDEMPOTENCY_REQUEST_IN_PROGRESS');
        expect(a.headers.get('retry-after')).toBe('1');
      }
    });
  });
});
