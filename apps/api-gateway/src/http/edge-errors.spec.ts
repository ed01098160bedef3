import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { clientErrorResponse, edgeErrorOptions, renderFrameworkError } from './edge-errors';

function parse(raw: string) {
  const [head, body] = raw.split('\r\n\r\n');
  const [statusLine, ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  return { statusLine, headers, body, json: JSON.parse(body) };
}

describe('clientErrorResponse', () => {
  it.each([
    ['HPE_HEADER_OVERFLOW', 431, 'Request Header Fields Too Large', 'HEADERS_TOO_LARGE'],
    ['ERR_HTTP_REQUEST_TIMEOUT', 408, 'Request Timeout', 'REQUEST_TIMEOUT'],
    ['HPE_INVALID_METHOD', 400, 'Bad Request', 'BAD_REQUEST'],
    [undefined, 400, 'Bad Request', 'BAD_REQUEST'],
  ])('%s → a complete HTTP/1.1 %i problem+json answer', (code, status, reason, problemCode) => {
    const res = parse(clientErrorResponse(code, 'rid-1'));
    expect(res.statusLine).toBe(`HTTP/1.1 ${status} ${reason}`);
    expect(res.headers).toEqual({
      'content-type': 'application/problem+json',
      'content-length': String(Buffer.byteLength(res.body)),
      'x-request-id': 'rid-1',
      connection: 'close',
    });
    expect(res.json).toMatchObject({ status, code: problemCode, requestId: 'rid-1', type: expect.stringContaining('https://'), detail: expect.any(String) });
  });

  it('gives every refused request its own id', () => {
    const a = parse(clientErrorResponse('HPE_INVALID_METHOD')).json.requestId;
    const b = parse(clientErrorResponse('HPE_INVALID_METHOD')).json.requestId;
    expect(a).toMatch(/^[0-9a-f-]{36}$/);
    expect(a).not.toBe(b);
  });
});

describe('renderFrameworkError (Fastify frameworkErrors)', () => {
  let app: FastifyInstance;

  beforeAll(async () => {
    app = Fastify({ ...edgeErrorOptions(), genReqId: () => 'rid-fw' });
    app.get('/items/:id', async () => ({ ok: true }));
    // Stands in for failures Fastify reports that are not the client's (an async constraint broke).
    app.get('/constraint', (req, reply) =>
      renderFrameworkError(Object.assign(new Error('constraint store at 10.0.0.7 down'), { code: 'FST_ERR_ASYNC_CONSTRAINT', statusCode: 500 }) as FastifyError, req, reply),
    );
    await app.ready();
  });
  afterAll(() => app.close());

  it('answers an undecodable path as 400 BAD_URL problem+json with X-Request-Id', async () => {
    const res = await app.inject({ method: 'GET', url: '/items/%ff' });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['x-request-id']).toBe('rid-fw');
    expect(res.json()).toMatchObject({ status: 400, code: 'BAD_URL', requestId: 'rid-fw' });
  });

  it('answers anything else as a 500 INTERNAL that names nothing internal', async () => {
    const res = await app.inject({ method: 'GET', url: '/constraint' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({ status: 500, code: 'INTERNAL', detail: 'Internal error', requestId: 'rid-fw' });
    expect(res.body).not.toContain('10.0.0.7');
  });
});
