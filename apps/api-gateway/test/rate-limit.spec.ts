import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type Redis from 'ioredis';
import { RateLimitedError } from '@aether/service-kit';
import { uniqueName } from '@aether/testing';
import { WebhooksController } from '../src/integrations/webhooks.controller';
import { RateLimitGuard } from '../src/rate-limit/rate-limit.guard';
import { RateLimitPolicies, RateLimits } from '../src/rate-limit/rate-limits';
import { connectedRedis, deadRedis, dropPrefix } from './redis-helpers';

const policies: RateLimitPolicies = {
  default: { points: 5, windowSeconds: 60 },
  anonymous: { points: 4, windowSeconds: 60 },
  auth: { points: 3, windowSeconds: 60 },
  webhook: { points: 250, windowSeconds: 60 },
};

/** An anonymous public route without a declared class (refresh, JWKS, ...). */
class PublicRoutes {
  jwks(): void {}
}

/** The HTTP context the guard sees for one request to `handler` of `controller`. */
function httpContext(controller: object, handler: (...args: never[]) => unknown, req: { ip: string; url: string; params?: Record<string, string> }): ExecutionContext {
  const request = { ...req, headers: {}, routeOptions: { url: req.url } };
  const reply = { header: () => reply };
  return {
    getType: () => 'http',
    getClass: () => controller,
    getHandler: () => handler,
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => reply }),
  } as unknown as ExecutionContext;
}

/** How many of `n` requests the guard let through (it throws RateLimitedError on the rest). */
async function admitted(guard: RateLimitGuard, n: number, ctx: () => ExecutionContext): Promise<number> {
  let allowed = 0;
  for (let i = 0; i < n; i++) {
    try {
      if (await guard.canActivate(ctx())) allowed++;
    } catch (err) {
      if (!(err instanceof RateLimitedError)) throw err;
    }
  }
  return allowed;
}

describe('RateLimits (Redis)', () => {
  let redis: Redis;
  let prefix: string;

  beforeAll(async () => {
    redis = await connectedRedis();
  });
  beforeEach(() => {
    prefix = `${uniqueName('gw_rl')}:`;
  });
  afterEach(async () => {
    await dropPrefix(redis, prefix);
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('counts down and refuses the request past the limit with a reset time', async () => {
    const limits = new RateLimits(redis, prefix, policies);
    const seen = [];
    for (let i = 0; i < 4; i++) seen.push(await limits.consume('auth', 'ip:10.0.0.1'));
    expect(seen.map((d) => [d.allowed, d.limit, d.remaining])).toEqual([
      [true, 3, 2],
      [true, 3, 1],
      [true, 3, 0],
      [false, 3, 0],
    ]);
    expect(seen[3].resetSeconds).toBeGreaterThanOrEqual(1);
    expect(seen[3].resetSeconds).toBeLessThanOrEqual(60);
    // The counter really lives in Redis under the gateway's prefix.
    expect(await redis.keys(`${prefix}rl:auth*`)).toHaveLength(1);
  });

  it('keeps classes and keys apart', async () => {
    const limits = new RateLimits(redis, prefix, policies);
    for (let i = 0; i < 3; i++) await limits.consume('auth', 'ip:10.0.0.1');
    expect((await limits.consume('auth', 'ip:10.0.0.1')).allowed).toBe(false);
    expect(await limits.consume('auth', 'ip:10.0.0.2')).toMatchObject({ allowed: true, remaining: 2 });
    expect(await limits.consume('anonymous', 'ip:10.0.0.1')).toMatchObject({ allowed: true, limit: 4, remaining: 3 });
    expect(await limits.consume('default', 'user:u1')).toMatchObject({ allowed: true, limit: 5, remaining: 4 });
  });

  it('shares the budget between gateway replicas', async () => {
    const replicaA = new RateLimits(redis, prefix, policies);
    const replicaB = new RateLimits(redis, prefix, policies);
    await replicaA.consume('auth', 'ip:1.2.3.4');
    await replicaB.consume('auth', 'ip:1.2.3.4');
    await replicaA.consume('auth', 'ip:1.2.3.4');
    expect((await replicaB.consume('auth', 'ip:1.2.3.4')).allowed).toBe(false);
  });

  it('keeps serving — and limiting — from memory while Redis is down', async () => {
    const dead = await deadRedis();
    try {
      const limits = new RateLimits(dead, prefix, policies);
      const started = Date.now();
      const results = [];
      for (let i = 0; i < 4; i++) results.push(await limits.consume('auth', 'ip:10.9.9.9'));
      expect(Date.now() - started).toBeLessThan(1000); // no waiting on the dead connection
      expect(results.map((r) => r.allowed)).toEqual([true, true, true, false]);
      expect(results[2]).toMatchObject({ limit: 3, remaining: 0 });
    } finally {
      dead.disconnect();
    }
  });
});

describe('RateLimitGuard: the webhook class', () => {
  const githubIp = '140.82.115.10';
  const connectionA = '0f8e4c1a-9b7d-4e2f-8a1b-3c5d7e9f1a2b';
  const connectionB = '7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d';
  let redis: Redis;
  let prefix: string;
  let guard: RateLimitGuard;

  const webhook = (connectionId: string) => () =>
    httpContext(WebhooksController, WebhooksController.prototype.github, {
      ip: githubIp,
      url: '/api/v1/webhooks/github/:connectionId',
      params: { connectionId },
    });
  const anonymousRoute = () => httpContext(PublicRoutes, PublicRoutes.prototype.jwks, { ip: githubIp, url: '/.well-known/jwks.json' });

  beforeAll(async () => {
    redis = await connectedRedis();
  });
  beforeEach(() => {
    prefix = `${uniqueName('gw_rl_wh')}:`;
    guard = new RateLimitGuard(new RateLimits(redis, prefix, policies), new Reflector());
  });
  afterEach(async () => {
    await dropPrefix(redis, prefix);
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('lets a burst of 200 deliveries to one connection through, past the anonymous budget of the IP', async () => {
    expect(await admitted(guard, 200, webhook(connectionA))).toBe(200);
    expect(await redis.keys(`${prefix}rl:webhook*`)).toHaveLength(1);
    // The anonymous class still limits the other anonymous routes of the same IP, untouched by the burst.
    expect(await admitted(guard, 6, anonymousRoute)).toBe(policies.anonymous.points);
  });

  it('gives each connection its own budget', async () => {
    expect(await admitted(guard, 260, webhook(connectionA))).toBe(policies.webhook.points);
    expect(await admitted(guard, 10, webhook(connectionB))).toBe(10);
  });

  it('counts a malformed connection id as an anonymous request of its IP', async () => {
    expect(await admitted(guard, 6, webhook('not-a-uuid'))).toBe(policies.anonymous.points);
    expect(await redis.keys(`${prefix}rl:webhook*`)).toHaveLength(0);
  });
});
