import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OutboundAllowList } from './address-policy';
import { OutboundBlockedError, OutboundHttp, OutboundTimeoutError } from './outbound-http';

describe('OutboundHttp', () => {
  let server: Server;
  let port: number;
  let hits = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++;
      if (req.url === '/big') return res.end('x'.repeat(100_000));
      if (req.url === '/hang') return; // never answers
      if (req.url === '/echo') {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        return req.on('end', () => res.end(`${req.method} ${req.headers['content-length'] ?? '-'} ${Buffer.concat(chunks).length}`));
      }
      if (req.url === '/redirect') {
        res.writeHead(302, { location: 'http://169.254.169.254/' });
        return res.end();
      }
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const client = (allowed: string, timeoutMs = 2000) => new OutboundHttp({ allowList: new OutboundAllowList(allowed), timeoutMs, maxResponseBytes: 1024 });

  it('refuses loopback by address and by name (resolved first), before sending anything', async () => {
    const http = client('');
    const before = hits;
    await expect(http.post({ url: `http://127.0.0.1:${port}/`, headers: {}, body: '' })).rejects.toBeInstanceOf(OutboundBlockedError);
    await expect(http.post({ url: `http://localhost:${port}/`, headers: {}, body: '' })).rejects.toBeInstanceOf(OutboundBlockedError);
    await expect(http.post({ url: `http://[::ffff:127.0.0.1]:${port}/`, headers: {}, body: '' })).rejects.toBeInstanceOf(OutboundBlockedError);
    await expect(http.post({ url: `file:///etc/passwd`, headers: {}, body: '' })).rejects.toBeInstanceOf(OutboundBlockedError);
    expect(hits).toBe(before);
    http.close();
  });

  it('reaches a listed host, reads at most the cap, follows no redirect', async () => {
    const http = client('127.0.0.1');
    expect(await http.post({ url: `http://127.0.0.1:${port}/`, headers: {}, body: '{}' })).toMatchObject({ status: 200, body: 'ok' });
    expect((await http.post({ url: `http://127.0.0.1:${port}/big`, headers: {}, body: '' })).body).toHaveLength(1024);
    expect(await http.post({ url: `http://127.0.0.1:${port}/redirect`, headers: {}, body: '' })).toMatchObject({ status: 302 });
    http.close();
  });

  it('GETs with the same policy, no body; says when an answer was longer than the cap', async () => {
    const http = client('127.0.0.1');
    expect((await http.get({ url: `http://127.0.0.1:${port}/echo`, headers: {} })).body).toBe('GET - 0');
    expect((await http.post({ url: `http://127.0.0.1:${port}/echo`, headers: {}, body: 'abc' })).body).toBe('POST 3 3');
    const big = await http.get({ url: `http://127.0.0.1:${port}/big`, headers: {}, maxResponseBytes: 50_000 });
    expect(big).toMatchObject({ truncated: true });
    expect(big.bytes).toHaveLength(50_000);
    expect(await http.get({ url: `http://127.0.0.1:${port}/`, headers: {} })).toMatchObject({ body: 'ok', truncated: false });
    await expect(client('').get({ url: `http://127.0.0.1:${port}/`, headers: {} })).rejects.toBeInstanceOf(OutboundBlockedError);
    http.close();
  });

  it('gives up on a target that does not answer within the timeout', async () => {
    const http = client('127.0.0.1', 300);
    const started = Date.now();
    await expect(http.post({ url: `http://127.0.0.1:${port}/hang`, headers: {}, body: '' })).rejects.toBeInstanceOf(OutboundTimeoutError);
    expect(Date.now() - started).toBeLessThan(2000);
    http.close();
  });
});
