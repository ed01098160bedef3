import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Controller, Module } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { PROTO_LOADER_OPTIONS, protoFile, protoRoot, type securityV1 } from '@aether/contracts';
import { BaseEnv, defineService } from '@aether/service-kit';
import { startTestService, TestIdentities, type TestService } from '@aether/testing';
import { AuthEnv, AuthModule, Public } from '@aether/auth';

/** A service that serves part of the security contract and never mentions a guard. */
@Controller()
class UnmentionedGuardController {
  @GrpcMethod('SecurityService', 'RevokeApiKey')
  revoke(): securityV1.RevokeApiKeyResponse {
    return {}; // no check of its own: only the kit-installed guard stands in front of it
  }

  @Public()
  @GrpcMethod('SecurityService', 'GetJwks')
  jwks(): securityV1.GetJwksResponse {
    return { keys: [] };
  }
}

@Module({ imports: [AuthModule.forRoot()], controllers: [UnmentionedGuardController] })
class UnmentionedGuardModule {}

class GuardTestEnv extends AuthEnv(BaseEnv) {}

const definition = defineService({ name: 'guard-test', env: GuardTestEnv, module: UnmentionedGuardModule, grpc: 'security' });

type Unary = (req: object, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, res?: unknown) => void) => void;

describe('a service defined without naming any guard (kit + AuthModule)', () => {
  let identities: TestIdentities;
  let service: TestService;
  let client: grpc.Client & Record<string, Unary>;
  const call = (method: string, md = new grpc.Metadata()) =>
    new Promise<unknown>((resolve, reject) => client[method]({ id: 'k' }, md, (err, res) => (err ? reject(err) : resolve(res))));

  beforeAll(async () => {
    identities = await new TestIdentities().start();
    service = await startTestService(definition, { env: { AUTH_JWKS_URL: identities.jwksUrl } });
    const pkg = grpc.loadPackageDefinition(
      protoLoader.loadSync(protoFile('security'), { ...PROTO_LOADER_OPTIONS, includeDirs: [protoRoot()] }),
    ) as any;
    client = new pkg.aether.security.v1.SecurityService(`127.0.0.1:${service.grpcPort}`, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    client?.close();
    await service?.close();
    await identities?.stop();
  });

  it('refuses an RPC without a token, and one with a forged token', async () => {
    await expect(call('revokeApiKey')).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    const forged = new grpc.Metadata();
    forged.set('authorization', 'Bearer eyJhbGciOiJFUzI1NiIsImtpZCI6InRlc3Qta2V5In0.e30.c2ln');
    await expect(call('revokeApiKey', forged)).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
  });

  it('serves a caller with a valid token', async () => {
    const user = await identities.user('developer');
    await expect(call('revokeApiKey', user.metadata())).resolves.toEqual({});
  });

  it('lets @Public() handlers and the management HTTP endpoints through without a token', async () => {
    await expect(call('getJwks')).resolves.toEqual({ keys: [] });
    expect((await fetch(`http://127.0.0.1:${service.httpPort}/healthz`)).status).toBe(200);
  });
});
