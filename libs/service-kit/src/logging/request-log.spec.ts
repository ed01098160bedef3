import Fastify from 'fastify';
import pino from 'pino';
import { Writable } from 'node:stream';
import { installRequestLog } from './request-log';

async function appLogging(level: string) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  const app = Fastify({ genReqId: () => 'req-1' });
  installRequestLog(app, pino({ level, messageKey: 'msg' }, sink));
  app.get('/things/:id', async (req, reply) => reply.code(Number((req.query as { code?: string }).code ?? 200)).send({ ok: true }));
  app.get('/healthz', async () => ({ status: 'ok' }));
  await app.ready();
  return { app, lines };
}

describe('installRequestLog', () => {
  it('writes one line per request with the fields pino-http wrote, at the level of its status', async () => {
    const { app, lines } = await appLogging('info');
    await app.inject({ method: 'GET', url: '/things/7?x=1' });
    await app.inject({ method: 'GET', url: '/things/7?code=404' });
    await app.inject({ method: 'GET', url: '/things/7?code=503' });
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ level: 30, msg: 'request completed', req: { id: 'req-1', method: 'GET', url: '/things/7?x=1' }, res: { statusCode: 200 } });
    expect(typeof lines[0].responseTime).toBe('number');
    expect(lines[1]).toMatchObject({ level: 40, msg: 'request completed', res: { statusCode: 404 } });
    expect(lines[2]).toMatchObject({ level: 50, msg: 'request errored', res: { statusCode: 503 } });
    await app.close();
  });

  it('skips probes and lines below the level', async () => {
    const { app, lines } = await appLogging('warn');
    await app.inject({ method: 'GET', url: '/healthz' });
    await app.inject({ method: 'GET', url: '/things/1' });
    await app.inject({ method: 'GET', url: '/things/1?code=400' });
    expect(lines.map((l) => (l.res as { statusCode: number }).statusCode)).toEqual([400]);
    await app.close();
  });
});
