import { BaseEnv, EnvValidationError, loadEnv } from '@aether/service-kit';
import { AuthEnv } from './auth-env';

class ServiceEnv extends AuthEnv(BaseEnv) {
  GRPC_PORT = 50099;
}

class GatewayLikeEnv extends AuthEnv(BaseEnv) {
  AUTH_JWKS_URL = 'http://127.0.0.1:9101/.well-known/jwks.json';
}

function problems(envClass: new () => object, source: Record<string, string>): string[] {
  try {
    loadEnv(envClass, source);
    return [];
  } catch (e) {
    expect(e).toBeInstanceOf(EnvValidationError);
    return (e as EnvValidationError).problems.map((p) => p.variable);
  }
}

describe('AuthEnv', () => {
  it('requires an http(s) AUTH_JWKS_URL and defaults issuer and audience', () => {
    expect(problems(ServiceEnv, {})).toEqual(['AUTH_JWKS_URL']);
    expect(problems(ServiceEnv, { AUTH_JWKS_URL: 'security:9101' })).toEqual(['AUTH_JWKS_URL']);
    expect(loadEnv(ServiceEnv, { AUTH_JWKS_URL: 'http://security:9101/.well-known/jwks.json' })).toMatchObject({
      AUTH_JWKS_URL: 'http://security:9101/.well-known/jwks.json',
      AUTH_ISSUER: 'aether-security',
      AUTH_AUDIENCE: 'aether',
      GRPC_PORT: 50099,
    });
  });

  it('lets a subclass give AUTH_JWKS_URL a default, still validated', () => {
    expect(loadEnv(GatewayLikeEnv, {}).AUTH_JWKS_URL).toBe('http://127.0.0.1:9101/.well-known/jwks.json');
    expect(problems(GatewayLikeEnv, { AUTH_JWKS_URL: 'ftp://x' })).toEqual(['AUTH_JWKS_URL']);
  });
});
