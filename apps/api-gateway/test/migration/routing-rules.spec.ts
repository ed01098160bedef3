import { ValidationError } from '@aether/service-kit';
import { hasDotSegment } from '../../src/migration/migration-router';
import { rolloutBucket, sideFor } from '../../src/migration/rollout';
import type { Route } from '../../src/migration/route';
import { RouteMatcher, pathOf } from '../../src/migration/route-matcher';
import { checkPrefix, checkSettings, isReservedPath } from '../../src/migration/route-rules';
import { defaultSeed } from '../../src/migration/route-seed';

const route = (prefix: string, over: Partial<Route> = {}): Route => ({
  id: prefix,
  prefix,
  target: 'new',
  rolloutPercent: 100,
  shadow: 'off',
  ignorePaths: [],
  version: 1,
  updatedAt: '2030-01-01T00:00:00.000Z',
  updatedBy: null,
  ...over,
});

describe('RouteMatcher', () => {
  const m = new RouteMatcher([route('/'), route('/api/v1/tasks'), route('/api/v1/tasks/archive'), route('/api/v1/chat')]);

  it.each([
    ['/api/v1/tasks', '/api/v1/tasks'],
    ['/api/v1/tasks/', '/api/v1/tasks'],
    ['/api/v1/tasks/42', '/api/v1/tasks'],
    ['/api/v1/tasks/archive/1', '/api/v1/tasks/archive'],
    ['/api/v1/tasksx', '/'],
    ['/api/v1/chat/messages', '/api/v1/chat'],
    ['/health', '/'],
    ['/', '/'],
  ])('%s → %s (longest prefix on segment boundaries)', (path, prefix) => {
    expect(m.match(path)?.prefix).toBe(prefix);
  });

  it('matches nothing without a catch-all', () => {
    const noRoot = new RouteMatcher([route('/api/v1/chat')]);
    expect(noRoot.match('/api/v1/tasks')).toBeUndefined();
    expect(noRoot.match('/api/v1/chat')?.prefix).toBe('/api/v1/chat');
    expect(new RouteMatcher([]).match('/x')).toBeUndefined();
  });

  it('finds dot segments, also percent-encoded', () => {
    for (const p of ['/a/../b', '/a/./b', '/a/%2e%2E/b', '/a/%2E', '/..']) expect(hasDotSegment(p)).toBe(true);
    for (const p of ['/a/b', '/a/..b/c', '/a/.well/c', '/a/%2e%2ex']) expect(hasDotSegment(p)).toBe(false);
  });

  it('takes the path without query or fragment', () => {
    expect(pathOf('/a/b?x=/c')).toBe('/a/b');
    expect(pathOf('/a#f')).toBe('/a');
    expect(pathOf('?x')).toBe('/');
  });
});

describe('rollout', () => {
  it('is stable and spreads callers evenly', () => {
    expect(rolloutBucket('/p', 'user:1')).toBe(rolloutBucket('/p', 'user:1'));
    const buckets = Array.from({ length: 10_000 }, (_, i) => rolloutBucket('/p', `user:${i}`));
    const under30 = buckets.filter((b) => b < 30).length;
    expect(under30).toBeGreaterThan(2800);
    expect(under30).toBeLessThan(3200);
    expect(buckets.every((b) => b >= 0 && b < 100)).toBe(true);
  });

  it('never moves a caller from new back to legacy when the percentage rises', () => {
    for (let i = 0; i < 2000; i++) {
      const key = `user:${i}`;
      let wasNew = false;
      for (let p = 0; p <= 100; p += 5) {
        const side = sideFor(route('/p', { target: 'legacy', rolloutPercent: p }), key);
        if (wasNew) expect(side).toBe('new');
        wasNew = side === 'new';
      }
    }
  });

  it('draws each route its own cohort', () => {
    const a = Array.from({ length: 1000 }, (_, i) => rolloutBucket('/a', `user:${i}`) < 50);
    const b = Array.from({ length: 1000 }, (_, i) => rolloutBucket('/b', `user:${i}`) < 50);
    const same = a.filter((x, i) => x === b[i]).length;
    expect(same).toBeGreaterThan(400);
    expect(same).toBeLessThan(600);
  });

  it('serves new for target new, legacy at 0 %', () => {
    expect(sideFor(route('/p'), 'user:1')).toBe('new');
    expect(sideFor(route('/p', { target: 'legacy', rolloutPercent: 0 }), 'user:1')).toBe('legacy');
    expect(sideFor(route('/p', { target: 'legacy', rolloutPercent: 100 }), 'user:1')).toBe('new');
  });
});

describe('route rules', () => {
  const violations = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      if (e instanceof ValidationError) return e.violations.map((v) => v.field);
      throw e;
    }
    return [];
  };

  it('accepts plain path prefixes and the catch-all', () => {
    for (const p of ['/', '/api', '/api/v1/chat', '/v1/chat/completions', "/a-b_c.d~e/%20"]) expect(checkPrefix(p)).toBe(p);
  });

  it.each(['', 'api', '/api/', '//x', '/a/../b', '/a/./b', '/a?x=1', '/a#f', '/a b', '/healthz', '/metrics/x', '/admin', '/api/v1/admin/routes', '/docs/x', '/.well-known/jwks.json', `/${'a'.repeat(200)}`])(
    'refuses the prefix %p',
    (p) => {
      expect(violations(() => checkPrefix(p))).toEqual(['prefix']);
    },
  );

  it('fills defaults and refuses contradictions', () => {
    expect(checkSettings({ target: 'new' }, true)).toEqual({ target: 'new', rolloutPercent: 100, shadow: 'off', ignorePaths: [] });
    expect(checkSettings({ target: 'legacy', rolloutPercent: 30, shadow: 'new', ignorePaths: ['a.*.b', 'a.*.b'] }, true)).toEqual({
      target: 'legacy',
      rolloutPercent: 30,
      shadow: 'new',
      ignorePaths: ['a.*.b'],
    });
    expect(violations(() => checkSettings({ target: 'new', rolloutPercent: 30 }, true))).toEqual(['rolloutPercent']);
    expect(violations(() => checkSettings({ target: 'legacy', rolloutPercent: 1.5 }, true))).toEqual(['rolloutPercent']);
    expect(violations(() => checkSettings({ target: 'x', shadow: 'y', ignorePaths: ['a..b'] }, true))).toEqual(['target', 'shadow', 'ignorePaths.0']);
    // Nothing may go to a monolith the gateway does not know.
    expect(violations(() => checkSettings({ target: 'legacy' }, false))).toEqual(['target']);
    expect(violations(() => checkSettings({ target: 'new', shadow: 'legacy' }, false))).toEqual(['shadow']);
  });

  it('reserves the gateway’s own paths', () => {
    expect(isReservedPath('/healthz')).toBe(true);
    expect(isReservedPath('/admin/console.js')).toBe(true);
    expect(isReservedPath('/api/v1/admin/routes/1')).toBe(true);
    expect(isReservedPath('/health')).toBe(false);
    expect(isReservedPath('/api/v1/admin')).toBe(false);
  });

  it('seeds one new route per public controller prefix and / → legacy', () => {
    const seed = defaultSeed(['api/v1/tasks', '/api/v1/tasks', 'api/v1/auth', '.well-known', 'docs', 'admin', 'api/v1/admin/routes', 'v1/models']);
    expect(seed.map((s) => `${s.prefix} ${s.settings.target}`)).toEqual(['/api/v1/auth new', '/api/v1/tasks new', '/v1/models new', '/ legacy']);
  });
});
