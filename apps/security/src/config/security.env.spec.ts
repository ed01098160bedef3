import { EnvValidationError, loadEnv } from '@aether/service-kit';
import { SecurityEnv } from './security.env';

const base = { DATABASE_URL: 'postgres://x@127.0.0.1/db', RABBITMQ_URL: 'amqp://127.0.0.1' };

function problems(env: Record<string, string>): string[] {
  try {
    loadEnv(SecurityEnv, env);
  } catch (e) {
    expect(e).toBeInstanceOf(EnvValidationError);
    return (e as EnvValidationError).problems.map((p) => p.variable);
  }
  return [];
}

describe('SecurityEnv', () => {
  it('has the documented defaults', () => {
    const env = loadEnv(SecurityEnv, { ...base, NODE_ENV: 'development' });
    expect(env).toMatchObject({
      GRPC_PORT: 50051,
      HTTP_PORT: 9101,
      AUTH_ISSUER: 'aether-security',
      AUTH_AUDIENCE: 'aether',
      ACCESS_TOKEN_TTL_SECONDS: 900,
      REFRESH_TOKEN_TTL_SECONDS: 2_592_000,
      API_KEY_TOKEN_TTL_SECONDS: 300,
      REFRESH_REUSE_INTERVAL_SECONDS: 5,
      LOGIN_MAX_FAILURES: 5,
      LOGIN_ACCOUNT_MAX_FAILURES: 50,
      LOGIN_FAILURE_WINDOW_SECONDS: 900,
      LOGIN_LOCKOUT_SECONDS: 900,
    });
  });

  it('parses numbers from strings', () => {
    expect(loadEnv(SecurityEnv, { ...base, NODE_ENV: 'test', LOGIN_MAX_FAILURES: '3' }).LOGIN_MAX_FAILURES).toBe(3);
    expect(problems({ ...base, NODE_ENV: 'test', LOGIN_MAX_FAILURES: 'many' })).toEqual(['LOGIN_MAX_FAILURES']);
  });

  it('takes a refresh reuse interval of 0 (off) to 60 seconds', () => {
    expect(loadEnv(SecurityEnv, { ...base, NODE_ENV: 'test', REFRESH_REUSE_INTERVAL_SECONDS: '0' }).REFRESH_REUSE_INTERVAL_SECONDS).toBe(0);
    expect(problems({ ...base, NODE_ENV: 'test', REFRESH_REUSE_INTERVAL_SECONDS: '61' })).toEqual(['REFRESH_REUSE_INTERVAL_SECONDS']);
    expect(problems({ ...base, NODE_ENV: 'test', REFRESH_REUSE_INTERVAL_SECONDS: '-1' })).toEqual(['REFRESH_REUSE_INTERVAL_SECONDS']);
  });

  it('requires a signing key in production only', () => {
    expect(problems({ ...base, NODE_ENV: 'production' })).toEqual(['JWT_PRIVATE_KEY']);
    expect(problems({ ...base, NODE_ENV: 'production', JWT_PRIVATE_KEY_FILE: '/run/secrets/jwt.pem' })).toEqual([]);
    expect(problems({ ...base, NODE_ENV: 'development' })).toEqual([]);
  });

  it('takes SERVICE_CLIENT_SECRETS of known clients with long secrets, naming problems without the secret', () => {
    const secret = 's'.repeat(32);
    expect(loadEnv(SecurityEnv, { ...base, NODE_ENV: 'test' }).SERVICE_CLIENT_SECRETS).toBe('');
    expect(problems({ ...base, NODE_ENV: 'test', SERVICE_CLIENT_SECRETS: `code-assistant=${secret}` })).toEqual([]);
    expect(problems({ ...base, NODE_ENV: 'test', SERVICE_CLIENT_SECRETS: 'code-assistant=short' })).toEqual(['SERVICE_CLIENT_SECRETS']);
    expect(problems({ ...base, NODE_ENV: 'test', SERVICE_CLIENT_SECRETS: `nobody=${secret}` })).toEqual(['SERVICE_CLIENT_SECRETS']);
    expect(problems({ ...base, NODE_ENV: 'test', SERVICE_CLIENT_SECRETS: `code-assistant=${secret},code-assistant=${secret}` })).toEqual(['SERVICE_CLIENT_SECRETS']);
    try {
      loadEnv(SecurityEnv, { ...base, NODE_ENV: 'test', SERVICE_CLIENT_SECRETS: `nobody=${secret}` });
    } catch (e) {
      expect(JSON.stringify(e) + String(e)).not.toContain(secret);
      expect(String((e as Error).message)).toContain('unknown client');
    }
  });

  it('requires DATABASE_URL and RABBITMQ_URL', () => {
    expect(problems({ NODE_ENV: 'test' }).sort()).toEqual(['DATABASE_URL', 'RABBITMQ_URL']);
  });

  it('takes ADMIN_EMAIL and ADMIN_PASSWORD together, with a real password', () => {
    expect(problems({ ...base, NODE_ENV: 'test', ADMIN_EMAIL: 'root@example.com' })).toEqual(['ADMIN_PASSWORD']);
    expect(problems({ ...base, NODE_ENV: 'test', ADMIN_PASSWORD: 'long enough pw' })).toEqual(['ADMIN_EMAIL']);
    expect(problems({ ...base, NODE_ENV: 'test', ADMIN_EMAIL: 'root@example.com', ADMIN_PASSWORD: 'short' })).toEqual(['ADMIN_PASSWORD']);
    expect(problems({ ...base, NODE_ENV: 'test', ADMIN_EMAIL: 'root@example.com', ADMIN_PASSWORD: 'long enough pw' })).toEqual([]);
  });
});
