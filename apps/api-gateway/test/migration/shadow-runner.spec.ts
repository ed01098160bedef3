import type { FastifyInstance } from 'fastify';
import type { GatewayEnv } from '../../src/config/gateway.env';
import type { Route } from '../../src/migration/route';
import type { RouteStats, ShadowOutcome } from '../../src/migration/route-stats';
import type { CapturedAnswer } from '../../src/migration/shadow-compare';
import { SHADOW_HEADER, ShadowRunner, type ShadowRequest } from '../../src/migration/shadow-runner';

const route: Route = { id: 'r1', prefix: '/p', target: 'legacy', rolloutPercent: 0, shadow: 'new', ignorePaths: [], version: 1, updatedAt: '', updatedBy: null };
const primary: CapturedAnswer = { status: 200, contentType: 'application/json', body: Buffer.from('{"a":1}') };
const req: ShadowRequest = { method: 'GET', url: '/p', headers: { authorization: 'Bearer t' }, ip: '10.0.0.1', requestId: 'rq', request: {} as never };

/** A runner whose `new` side is a fake Fastify answering `answer` after `delayMs`. */
function runner(opts: { concurrency?: number; timeoutMs?: number; delayMs?: number; answer?: string }) {
  const outcomes: ShadowOutcome[] = [];
  const samples: object[] = [];
  const stats = { recordShadow: (_id: string, _p: string, o: ShadowOutcome) => outcomes.push(o), recordMismatch: async (_id: string, s: object) => void samples.push(s) } as unknown as RouteStats;
  const env = { SHADOW_MAX_CONCURRENCY: opts.concurrency ?? 4, SHADOW_TIMEOUT_MS: opts.timeoutMs ?? 1000, SHADOW_MAX_BODY_BYTES: 1024 } as GatewayEnv;
  const injected: Record<string, unknown>[] = [];
  const shadow = new ShadowRunner(env, stats);
  runners.push(shadow);
  shadow.attach({
    inject: async (o: { headers: Record<string, unknown> }) => {
      injected.push(o.headers);
      await new Promise((r) => setTimeout(r, opts.delayMs ?? 0).unref());
      return { statusCode: 200, headers: { 'content-type': 'application/json' }, rawPayload: Buffer.from(opts.answer ?? '{"a":1}') };
    },
  } as unknown as FastifyInstance);
  return { shadow, outcomes, samples, injected };
}

const runners: ShadowRunner[] = [];
afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.onApplicationShutdown()));
});

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ShadowRunner', () => {
  it('counts a match, and marks its copy so only this process can claim it', async () => {
    const { shadow, outcomes, injected } = runner({});
    shadow.run(route, 'legacy', 'new', req, primary);
    await settle(50);
    expect(outcomes).toEqual(['match']);
    const marker = injected[0][SHADOW_HEADER] as string;
    expect(shadow.isShadowCopy(marker)).toBe(true);
    expect(shadow.isShadowCopy('forged')).toBe(false);
    expect(shadow.isShadowCopy(undefined)).toBe(false);
    expect(runner({}).shadow.isShadowCopy(marker)).toBe(false);
  });

  it('keeps a redacted sample of a mismatch', async () => {
    const { shadow, outcomes, samples } = runner({ answer: '{"a":2,"token":"t0k"}' });
    shadow.run(route, 'legacy', 'new', { ...req, url: '/p?api_key=k' }, primary);
    await settle(50);
    expect(outcomes).toEqual(['mismatch']);
    expect(samples[0]).toMatchObject({ url: '/p?api_key=%5BREDACTED%5D', differences: ['a', 'token'], shadow: { side: 'new', body: { a: 2, token: '[REDACTED]' } } });
  });

  it('skips requests beyond SHADOW_MAX_CONCURRENCY and gives up after SHADOW_TIMEOUT_MS', async () => {
    const { shadow, outcomes } = runner({ concurrency: 2, timeoutMs: 100, delayMs: 5000 });
    for (let i = 0; i < 5; i++) shadow.run(route, 'legacy', 'new', req, primary);
    expect(shadow.active).toBe(2);
    expect(outcomes).toEqual(['skipped', 'skipped', 'skipped']);
    await settle(250);
    expect(outcomes).toEqual(['skipped', 'skipped', 'skipped', 'failed', 'failed']);
    expect(shadow.active).toBe(0);
  });
});
