import { Global, Module, type DynamicModule } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ENV_TOKEN, GRPC_AUTH_GUARD } from '@aether/service-kit';
import {
  ACCESS_TOKEN_VERIFIER,
  AuthConfigError,
  AuthModule,
  GrpcAuthGuard,
  PermissionsGuard,
  type AccessTokenVerifier,
} from '@aether/auth';
import { JwksServer, newSigningKey, signToken } from './fixtures/token-issuer';

/** Stands in for the kit's ServiceKitModule: the validated env under ENV_TOKEN. */
@Global()
@Module({})
class EnvModule {
  static of(env: Record<string, string>): DynamicModule {
    return { module: EnvModule, providers: [{ provide: ENV_TOKEN, useValue: env }], exports: [ENV_TOKEN] };
  }
}

describe('AuthModule', () => {
  it('forRoot() wires a verifier from the validated env (AUTH_JWKS_URL, default issuer/audience), never process.env', async () => {
    const key = await newSigningKey('k1');
    const jwks = await new JwksServer().start();
    try {
      jwks.keys = [key.publicJwk];
      process.env.AUTH_JWKS_URL = 'http://127.0.0.1:1/not-this-one'; // must be ignored
      const moduleRef = await Test.createTestingModule({ imports: [EnvModule.of({ AUTH_JWKS_URL: jwks.url }), AuthModule.forRoot()] }).compile();
      const verifier = moduleRef.get<AccessTokenVerifier>(ACCESS_TOKEN_VERIFIER);
      await expect(verifier.verify(await signToken(key))).resolves.toMatchObject({ userId: 'user-1' });
      expect(moduleRef.get(GrpcAuthGuard)).toBeInstanceOf(GrpcAuthGuard);
      // The guard the kit installs on every gRPC server.
      expect(moduleRef.get(GRPC_AUTH_GUARD)).toBe(moduleRef.get(GrpcAuthGuard));
      expect(moduleRef.get(PermissionsGuard)).toBeInstanceOf(PermissionsGuard);
      await moduleRef.close();
    } finally {
      delete process.env.AUTH_JWKS_URL;
      await jwks.stop();
    }
  });

  it('forRoot() fails start-up with a message naming AUTH_JWKS_URL when it is missing', async () => {
    const compiling = Test.createTestingModule({ imports: [EnvModule.of({}), AuthModule.forRoot()] }).compile();
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
