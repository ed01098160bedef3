/**
 * A service loads a store's driver only when it uses that store: the shared libraries' entry
 * points must not require TypeORM, node-postgres or Mongoose themselves. In a service's bundle
 * (tools/bundle-service.mjs) the packages of stores it does not use stay in node_modules, so one
 * eager import here would load them from disk at every start: TypeORM alone is ~300 modules,
 * ~100-200 ms of a start on a slow host (issue 16).
 */
const STORE_DRIVERS = ['typeorm', '@nestjs/typeorm', 'pg', 'mongoose', '@nestjs/mongoose'];

/** Mocks every store driver with one whose loading throws, then runs `load`. */
function withDriversForbidden(load: () => void): void {
  jest.isolateModules(() => {
    for (const name of STORE_DRIVERS) {
      jest.doMock(name, () => {
        throw new Error(`${name} was required`);
      });
    }
    load();
  });
}

describe('store drivers load on demand', () => {
  afterEach(() => {
    for (const name of STORE_DRIVERS) jest.dontMock(name);
    jest.resetModules();
  });

  // Entry points by path: jest resolves a computed require() without the workspace's path aliases.
  it.each([
    ['@aether/service-kit', '../index'],
    ['@aether/messaging', '../../../messaging/src/index'],
    ['@aether/auth', '../../../auth/src/index'],
    ['@aether/contracts', '../../../contracts/src/index'],
  ])('importing %s requires no store driver', (_lib, path) => {
    withDriversForbidden(() => {
      const exports = require(path) as Record<string, unknown>;
      // The entry point really loaded (not an empty module that trivially requires nothing).
      expect(Object.keys(exports).length).toBeGreaterThan(5);
    });
  });

  it('an eager import is noticed (what the cases above rule out)', () => {
    // The outbox entity imports TypeORM's decorators.
    expect(() => withDriversForbidden(() => require('../../../messaging/src/outbox/outbox-event.entity'))).toThrow('typeorm was required');
  });
});
