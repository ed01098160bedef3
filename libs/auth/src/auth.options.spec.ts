import { AuthConfigError, authOptionsFromEnv, resolveAuthOptions } from './auth.options';

const URL_OK = 'http://security:9101/.well-known/jwks.json';

describe('auth options', () => {
  it('reads the env with defaults for issuer and audience', () => {
    expect(authOptionsFromEnv({ AUTH_JWKS_URL: URL_OK })).toMatchObject({
      jwksUrl: URL_OK,
      issuer: 'aether-security',
      audience: 'aether',
      jwksTimeoutMs: 1000,
    });
    expect(authOptionsFromEnv({ AUTH_JWKS_URL: URL_OK, AUTH_ISSUER: 'iss', AUTH_AUDIENCE: 'aud' })).toMatchObject({
      issuer: 'iss',
      audience: 'aud',
    });
  });

  it('names the variable that is missing or malformed', () => {
    expect(() => authOptionsFromEnv({})).toThrow(/AUTH_JWKS_URL is required/);
    expect(() => authOptionsFromEnv({ AUTH_JWKS_URL: 'security:9101' })).toThrow(/AUTH_JWKS_URL must be an http\(s\) URL/);
    expect(() => authOptionsFromEnv({ AUTH_JWKS_URL: URL_OK, AUTH_ISSUER: ' ' })).toThrow(/AUTH_ISSUER/);
    expect(() => authOptionsFromEnv({ AUTH_JWKS_URL: URL_OK, AUTH_AUDIENCE: '' })).toThrow(AuthConfigError);
  });

  it('needs exactly one key source in code-given options', () => {
    const base = { issuer: 'i', audience: 'a' };
    expect(() => resolveAuthOptions(base)).toThrow(/exactly one of jwksUrl or localJwks/);
    expect(() =>
      resolveAuthOptions({ ...base, jwksUrl: URL_OK, localJwks: async () => ({ keys: [] }) }),
    ).toThrow(/exactly one/);
    expect(() => resolveAuthOptions({ ...base, jwksUrl: URL_OK, jwksTimeoutMs: -1 })).toThrow(/jwksTimeoutMs/);
  });
});
