import type { RunningService } from '@aether/service-kit';
import { TEST_REDIS_URL, uniqueName } from '@aether/testing';
import { toEventRecord } from '../../../analytics/src/events/event-record';
import { EventStore } from '../../../analytics/src/events/event-store.service';
import { AnalyticsHarness } from '../../../analytics/test/support/analytics-harness';

jest.setTimeout(60_000);

/**
 * GET /api/v1/analytics/* end to end: the real gateway (HTTP, auth, validation, problem+json) in
 * front of the real analytics service (FerretDB, RabbitMQ), both in this process.
 */
describe('gateway analytics routes', () => {
  const analytics = new AnalyticsHarness();
  let gateway: RunningService;
  let base: string;
  let dev: string;
  let admin: string;
  const hourAgo = new Date(Date.now() - 3_600_000);

  beforeAll(async () => {
    await analytics.start();
    await analytics.get(EventStore).storeBatch([
      toEventRecord({ id: 'g1', type: 'task-manager.task.created', subject: 'dev-1', time: hourAgo.toISOString(), data: { id: 't1' } }),
      toEventRecord({ id: 'g2', type: 'ai-gateway.completion.completed', subject: 'dev-1', time: hourAgo.toISOString(), data: { usage: { promptTokens: 7, completionTokens: 3, costUsd: 0.25 } } }),
      toEventRecord({ id: 'g3', type: 'task-manager.task.created', subject: 'dev-2', time: hourAgo.toISOString(), data: { id: 't2' } }),
    ]);
    [dev, admin] = await Promise.all([analytics.tokens.developer('dev-1'), analytics.tokens.admin('root')]);
    Object.assign(process.env, {
      HTTP_PORT: '0',
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: `${uniqueName('gw_analytics')}:`,
      SECURITY_GRPC_URL: '127.0.0.1:1',
      ANALYTICS_GRPC_URL: `127.0.0.1:${process.env.GRPC_PORT}`,
      GRPC_DEADLINE_MS: '5000',
    });
    const { bootstrapService } = await import('@aether/service-kit');
    const { AppModule } = await import('../app.module');
    const { gatewayFastifyOptions } = await import('../gateway-options');
    const { configureGatewayHttp } = await import('../http/configure-http');
    gateway = await bootstrapService({ name: 'api-gateway', module: AppModule, fastify: gatewayFastifyOptions(), configureHttp: configureGatewayHttp });
    base = `http://127.0.0.1:${gateway.httpPort}/api/v1/analytics`;
  });

  afterAll(async () => {
    await gateway?.app.close();
    await analytics.stop();
  });

  const get = async (path: string, token?: string) => {
    const res = await fetch(base + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.status, type: res.headers.get('content-type') ?? '', json: (await res.json()) as any };
  };

  it('answers the summary with numbers, for the caller only', async () => {
    const res = await get('/summary', dev);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      totals: { events: 2 },
      byType: { 'task-manager.task.created': 1, 'ai-gateway.completion.completed': 1 },
      tasks: { created: 1, completed: 0, overdue: 0 },
      ai: { requests: 1, promptTokens: 7, completionTokens: 3, costUsd: 0.25 },
    });
    expect(Date.parse(res.json.to) - Date.parse(res.json.from)).toBe(24 * 3_600_000);
    expect((await get('/summary', admin)).json.totals.events).toBe(3);
  });

  it('answers a time series with zero-filled buckets', async () => {
    const from = new Date(Math.floor(hourAgo.getTime() / 3_600_000) * 3_600_000 - 3_600_000).toISOString();
    const res = await get(`/timeseries?type=task-manager.task.created&interval=hour&from=${from}&to=${new Date().toISOString()}`, admin);
    expect(res.status).toBe(200);
    expect(res.json.interval).toBe('hour');
    expect(res.json.points[0]).toEqual({ t: from, count: 0 });
    expect(res.json.points.reduce((n: number, p: { count: number }) => n + p.count, 0)).toBe(2);
  });

  it('lists raw events for admins, newest first with a cursor', async () => {
    const page = await get('/events?limit=2', admin);
    expect(page.status).toBe(200);
    expect(page.json.items).toHaveLength(2);
    expect(page.json.items[0]).toMatchObject({ type: expect.any(String), time: hourAgo.toISOString() });
    const next = await get(`/events?limit=2&cursor=${encodeURIComponent(page.json.nextCursor)}`, admin);
    expect(next.json).toMatchObject({ nextCursor: null });
    expect(next.json.items).toHaveLength(1);
  });

  it('maps bad queries to 400 and forbidden ones to 403 problem+json, no token to 401', async () => {
    for (const path of ['/timeseries?type=x.y.z&interval=week', '/timeseries?interval=hour', '/summary?from=yesterday', '/summary?from=2025-01-02T00:00:00Z&to=2025-01-01T00:00:00Z', '/events?limit=500']) {
      const res = await get(path, admin);
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect(res.type).toContain('application/problem+json');
    }
    const other = await get('/summary?userId=dev-2', dev);
    expect(other.status).toBe(403);
    expect(other.type).toContain('application/problem+json');
    expect((await get('/events', dev)).status).toBe(403);
    expect((await get('/summary')).status).toBe(401);
  });
});
