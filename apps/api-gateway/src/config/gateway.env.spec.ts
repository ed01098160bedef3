import { EnvValidationError, loadEnv } from '@aether/service-kit';
import { GatewayEnv } from './gateway.env';

describe('GatewayEnv', () => {
  it('requires IDEMPOTENCY_SECRET in production, without echoing any value', () => {
    let err: EnvValidationError | undefined;
    try {
      loadEnv(GatewayEnv, { NODE_ENV: 'production' });
    } catch (e) {
      err = e as EnvValidationError;
    }
    expect(err?.problems.map((p) => p.variable)).toContain('IDEMPOTENCY_SECRET');
  });

  it('rejects a short secret anywhere and allows none outside production', () => {
    expect(() => loadEnv(GatewayEnv, { NODE_ENV: 'development', IDEMPOTENCY_SECRET: 'short' })).toThrow(/at least 32 characters/);
    expect(loadEnv(GatewayEnv, { NODE_ENV: 'development' }).IDEMPOTENCY_SECRET).toBeUndefined();
    expect(loadEnv(GatewayEnv, { NODE_ENV: 'production', IDEMPOTENCY_SECRET: 'x'.repeat(32) }).IDEMPOTENCY_SECRET).toHaveLength(32);
  });
});
