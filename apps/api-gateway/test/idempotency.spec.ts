import { createHash, randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import { ConflictError, UnavailableError } from '@aether/service-kit';
import { uniqueName } from '@aether/testing';
import { IdempotencyKeyReusedError, IdempotencyStore, canonicalJson } from '../src/idempotency/idempotency.store';
import { connectedRedis, deadRedis, dropPrefix } from './redis-helpers';

const ROUTE = 'POST:/api/v1/api-keys';

describe('IdempotencyStore (Redis)', () => {
  let redis: Redis;
  let prefix: string;
  let store: IdempotencyStore;
  const secret = randomBytes(32);

  beforeAll(async () => {
    redis = await connectedRedis();
  });
  beforeEach(() => {
    prefix = `${uniqueName('gw_idem')}:`;
    store = new IdempotencyStore(redis, prefix, 86_400, secret);
  });
  afterEach(async () => {
    await dropPrefix(redis, prefix);
  });
  afterAll(async () => {
    await redis.quit();
  });

  async function firstAnswer(scope: string, key: string, body: unknown, status: number, answer: unknown, headers?: Record<string, string>) {
    const outcome = await store.begin(scope, ROUTE, key, body);
    if (outcome.kind !== 'proceed') throw new Error('expected to proceed');
    await store.complete(outcome.claim, status, answer, headers);
  }

  it('replays the first answer for the same key and body (key order does not matter)', async () => {
    await firstAnswer('user:u1', 'k-1', { name: 'ci', scopes: ['tasks:read'] }, 201, { id: 'a1', key: 'ak_x' }, { location: '/api/v1/api-keys/a1' });
    const again = await store.begin('user:u1', ROUTE, 'k-1', { scopes: ['tasks:read'], name: 'ci' });
    expect(again).toEqual({ kind: 'replay', status: 201, body: { id: 'a1', key: 'ak_x' }, headers: { location: '/api/v1/api-keys/a1' } });
  });

  it('refuses the same key with another body (422)', async () => {
    await firstAnswer('user:u1', 'k-1', { name: 'ci' }, 201, { id: 'a1' });
    await expect(store.begin('user:u1', ROUTE, 'k-1', { name: 'other' })).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
  });

  it('answers 409 to a duplicate while the first request is still in flight', async () => {
    const first = await store.begin('user:u1', ROUTE, 'k-2', { name: 'ci' });
    expect(first.kind).toBe('proceed');
    await expect(store.begin('user:u1', ROUTE, 'k-2', { name: 'ci' })).rejects.toMatchObject({
      code: 'IDEMPOTENCY_REQUEST_IN_PROGRESS',
      retryAfterSeconds: 1,
    });
    await expect(store.begin('user:u1', ROUTE, 'k-2', { name: 'ci' })).rejects.toBeInstanceOf(ConflictError);
  });

  it('lets the client retry after a failed first attempt', async () => {
    const first = await store.begin('user:u1', ROUTE, 'k-3', { name: 'ci' });
    if (first.kind !== 'proceed') throw new Error('expected to proceed');
    await store.release(first.claim);
    expect((await store.begin('user:u1', ROUTE, 'k-3', { name: 'ci' })).kind).toBe('proceed');
  });

  it('release does not remove a completed answer', async () => {
    const first = await store.begin('user:u1', ROUTE, 'k-4', {});
    if (first.kind !== 'proceed') throw new Error('expected to proceed');
    await store.complete(first.claim, 201, { id: 'x' });
    await store.release(first.claim);
    expect((await store.begin('user:u1', ROUTE, 'k-4', {})).kind).toBe('replay');
  });

  it('scopes keys by caller and route', async () => {
    await firstAnswer('user:u1', 'shared', { name: 'ci' }, 201, { id: 'a1' });
    expect((await store.begin('user:u2', ROUTE, 'shared', { name: 'ci' })).kind).toBe('proceed');
    expect((await store.begin('user:u1', 'POST:/api/v1/tasks', 'shared', { name: 'ci' })).kind).toBe('proceed');
  });

  it('keeps answers for the configured TTL, never storing the raw key', async () => {
    await firstAnswer('user:u1', 'secret-ish-key', { name: 'ci' }, 201, { id: 'a1' });
    const keys = await redis.keys(`${prefix}idem:*`);
    expect(keys).toHaveLength(1);
    expect(keys[0]).not.toContain('secret-ish-key');
    const ttl = await redis.ttl(keys[0]);
    expect(ttl).toBeGreaterThan(86_000);
    expect(ttl).toBeLessThanOrEqual(86_400);
  });

  it('compares bodies canonically', () => {
    expect(canonicalJson({ a: 1, b: [1, { c: 2, d: 3 }] })).toBe(canonicalJson({ b: [1, { d: 3, c: 2 }], a: 1 }));
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: '1' }));
    expect(canonicalJson(undefined)).toBe(canonicalJson(null));
  });

  it('keeps no secret readable in Redis: not the answer, not the body, not an unkeyed hash of it', async () => {
    const scope = 'user:5b0c8f0e-2f9b-4c61-9d0e-6f4f2a1b3c4d';
    const password = 'correct horse battery staple';
    const body = { email: 'ada@example.com', password, name: 'Ada' };
    const apiKey = `ak_${randomBytes(24).toString('hex')}`;
    await firstAnswer(scope, 'idem-secret-1', body, 201, { id: 'a1', key: apiKey }, { location: '/api/v1/api-keys/a1' });

    const names = await redis.keys(`${prefix}*`);
    expect(names).toHaveLength(1);
    const stored = (await redis.get(names[0]))!;
    const everything = `${names[0]}\n${stored}`;
    const unkeyed = [canonicalJson(body), JSON.stringify(body)].flatMap((s) => [
      createHash('sha256').update(s).digest('hex'),
      createHash('sha256').update(s).digest('base64'),
    ]);
    for (const secretish of [apiKey, apiKey.slice(3), password, 'ada@example.com', 'idem-secret-1', scope, '/api/v1/api-keys/a1', ...unkeyed]) {
      expect(everything).not.toContain(secretish);
    }
    expect(everything).not.toContain(Buffer.from(apiKey).toString('base64').slice(0, 16));

    // The same client (same Idempotency-Key) still gets its answer back.
    expect(await store.begin(scope, ROUTE, 'idem-secret-1', body)).toEqual({
      kind: 'replay', status: 201, body: { id: 'a1', key: apiKey }, headers: { location: '/api/v1/api-keys/a1' },
    });
    // Without the server secret the entry is not even found.
    const otherServer = new IdempotencyStore(redis, prefix, 86_400, randomBytes(32));
    expect((await otherServer.begin(scope, ROUTE, 'idem-secret-1', body)).kind).toBe('proceed');
  });

  it('refuses an answer whose ciphertext was tampered with (503), never returns garbage', async () => {
    await firstAnswer('user:u1', 'k-tamper', { name: 'ci' }, 201, { id: 'a1' });
    const [name] = await redis.keys(`${prefix}idem:*`);
    const record = JSON.parse((await redis.get(name))!);
    const parts = record.sealed.split('.');
    const ct = Buffer.from(parts[3], 'base64');
    ct[0] ^= 1;
    parts[3] = ct.toString('base64');
    await redis.set(name, JSON.stringify({ ...record, sealed: parts.join('.') }), 'KEEPTTL');
    await expect(store.begin('user:u1', ROUTE, 'k-tamper', { name: 'ci' })).rejects.toBeInstanceOf(UnavailableError);
  });

  it('refuses a server secret shorter than 32 bytes', () => {
    expect(() => new IdempotencyStore(redis, prefix, 60, Buffer.alloc(16))).toThrow(/32 bytes/);
  });

  it('is unavailable (503), not broken, when Redis is down', async () => {
    const dead = await deadRedis();
    try {
      const s = new IdempotencyStore(dead, prefix, 60, secret);
      await expect(s.begin('user:u1', ROUTE, 'k', {})).rejects.toBeInstanceOf(UnavailableError);
    } finally {
      dead.disconnect();
    }
  });
});
