import type Redis from 'ioredis';
import { uniqueName } from '@aether/testing';
import { RateLimitPolicies, RateLimits } from '../src/rate-limit/rate-limits';
import { connectedRedis, deadRedis, dropPrefix } from './redis-helpers';

const policies: RateLimitPolicies = {
  default: { points: 5, windowSeconds: 60 },
  anonymous: { points: 4, windowSeconds: 60 },
  auth: { points: 3, windowSeconds: 60 },
};

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
