import { migrationLockKey } from './migration-lock';

describe('migrationLockKey', () => {
  it('is a stable signed 64-bit integer per app name', () => {
    const key = migrationLockKey('security');
    expect(key).toBe(migrationLockKey('security'));
    expect(BigInt(key) >= -(2n ** 63n) && BigInt(key) < 2n ** 63n).toBe(true);
    expect(key).toMatch(/^-?\d+$/);
  });

  it('differs between apps, so apps sharing a database never wait for each other', () => {
    const keys = new Set(['security', 'task-manager', 'analytics', 'rag', 'ai-gateway'].map(migrationLockKey));
    expect(keys.size).toBe(5);
  });
});
