import { Test } from '@nestjs/testing';
import {
  ACCESS_TOKEN_VERIFIER,
  AuthConfigError,
  AuthModule,
  GrpcAuthGuard,
  PermissionsGuard,
  type AccessTokenVerifier,
} from '@aether/auth';
import { JwksServer, newSigningKey, signToken } from './fixtures/token-issuer';

describe('AuthModule', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of ['AUTH_JWKS_URL', 'AUTH_ISSUER', 'AUTH_AUDIENCE']) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it('forRoot() wires a verifier from AUTH_JWKS_URL and the default issuer/audience', async () => {
    const key = await newSigningKey('k1');
    const jwks = await new JwksServer().start();
    try {
      jwks.keys = [key.publicJwk];
      process.env.AUTH_JWKS_URL = jwks.url;
      delete process.env.AUTH_ISSUER;
      delete process.env.AUTH_AUDIENCE;
      const moduleRef = await Test.createTestingModule({ imports: [AuthModule.forRoot()] }).compile();
      const verifier = moduleRef.get<AccessTokenVerifier>(ACCESS_TOKEN_VERIFIER);
      await expect(verifier.verify(await signToken(key))).resolves.toMatchObject({ userId: 'user-1' });
      expect(moduleRef.get(GrpcAuthGuard)).toBeInstanceOf(GrpcAuthGuard);
      expect(moduleRef.get(PermissionsGuard)).toBeInstanceOf(PermissionsGuard);
      await moduleRef.close();
    } finally {
      await jwks.stop();
    }
  });

  it('forRoot() fails start-up with a message naming AUTH_JWKS_URL when it is missing', async () => {
    delete process.env.AUTH_JWKS_URL;
    const compiling = Test.createTestingModule({ imports: [AuthModule.forRoot()] }).compile();
    await expect(compiling).rejects.toThrow(AuthConfigError);
    await expect(compiling).rejects.toThrow(/AUTH_JWKS_URL/);
  });

  it('forRootAsync() validates what the factory returns', async () => {
    const compiling = Test.createTestingModule({
      imports: [AuthModule.forRootAsync({ useFactory: () => ({ issuer: 'i', audience: 'a' }) })],
    }).compile();
    await expect(compiling).rejects.toThrow(/exactly one of jwksUrl or localJwks/);
  });
});
