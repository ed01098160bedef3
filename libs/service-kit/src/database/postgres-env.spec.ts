import { BaseEnv } from '../config/base-env';
import { EnvValidationError, loadEnv } from '../config/load-env';
import { PostgresEnv } from './postgres-env';

class AppEnv extends PostgresEnv(BaseEnv) {}

describe('PostgresEnv', () => {
  it('requires DATABASE_URL and defaults the pool', () => {
    const env = loadEnv(AppEnv, { DATABASE_URL: 'postgres://u@127.0.0.1:5432/db' });
    expect(env).toMatchObject({ DATABASE_URL: 'postgres://u@127.0.0.1:5432/db', DATABASE_POOL_SIZE: 10, DATABASE_CONNECT_TIMEOUT_MS: 500 });
    expect(() => loadEnv(AppEnv, {})).toThrow(EnvValidationError);
  });

  it('refuses what is not a PostgreSQL URL or a usable pool, naming the variable (never the value)', () => {
    try {
      loadEnv(AppEnv, { DATABASE_URL: 'mysql://secret@host/db', DATABASE_POOL_SIZE: '0' });
      throw new Error('expected EnvValidationError');
    } catch (e) {
      expect(e).toBeInstanceOf(EnvValidationError);
      const vars = (e as EnvValidationError).problems.map((p) => p.variable).sort();
      expect(vars).toEqual(['DATABASE_POOL_SIZE', 'DATABASE_URL']);
      expect((e as Error).message).not.toContain('secret');
    }
  });
});
