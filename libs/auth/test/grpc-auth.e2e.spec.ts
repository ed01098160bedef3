import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Catch, Controller, Module, type ExceptionFilter } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { GrpcMethod, Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { throwError } from 'rxjs';
import type { INestMicroservice } from '@nestjs/common';
import { DomainError } from '@aether/service-kit';
import { freePort } from '@aether/testing';
import {
  AuthModule,
  bearerMetadata,
  findPrincipal,
  GrpcAuthGuard,
  principalFrom,
  Public,
  RequirePermissions,
  type Principal,
} from '@aether/auth';
import { AUDIENCE, ISSUER, JwksServer, newSigningKey, signToken, type SigningKey } from './fixtures/token-issuer';

const PROTO = join(__dirname, 'fixtures/whoami.proto');

/** Stand-in for the kit's error mapping: DomainError → gRPC status, stable code as details. */
@Catch(DomainError)
class DomainErrorToStatus implements ExceptionFilter {
  catch(err: DomainError) {
    return throwError(() => ({ code: err.grpcStatus, message: err.code }));
  }
}

const identity = (p: Principal) => ({ userId: p.userId, permissions: p.permissions });

@Controller()
class WhoAmIController {
  @GrpcMethod('WhoAmIService', 'WhoAmI')
  whoAmI(_req: unknown, metadata: grpc.Metadata) {
    return identity(principalFrom(metadata));
  }

  @GrpcMethod('WhoAmIService', 'WhoAmIFromMetadata')
  fromMetadata(_req: unknown, metadata: grpc.Metadata) {
    return identity(principalFrom(metadata));
  }

  @RequirePermissions('users:manage')
  @GrpcMethod('WhoAmIService', 'ManageUsers')
  manageUsers(_req: unknown, metadata: grpc.Metadata) {
    return identity(principalFrom(metadata));
  }

  @Public()
  @GrpcMethod('WhoAmIService', 'Ping')
  ping(_req: unknown, metadata: grpc.Metadata) {
    return { userId: findPrincipal(metadata)?.userId ?? 'anonymous', permissions: [] };
  }
}

type Unary = (req: object, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, res?: any) => void) => void;

describe('GrpcAuthGuard in a real Nest gRPC server', () => {
  let jwks: JwksServer;
  let key: SigningKey;
  let app: INestMicroservice;
  let client: grpc.Client & Record<string, Unary>;

  const call = (method: string, metadata = new grpc.Metadata()) =>
    new Promise<{ userId: string; permissions: string[] }>((resolve, reject) =>
      client[method]({}, metadata, (err, res) => (err ? reject(err) : resolve(res))),
    );

  beforeAll(async () => {
    key = await newSigningKey('k1');
    jwks = await new JwksServer().start();
    jwks.keys = [key.publicJwk];
    const port = await freePort();

    @Module({
      imports: [
        AuthModule.forRootAsync({ useFactory: () => ({ issuer: ISSUER, audience: AUDIENCE, jwksUrl: jwks.url }) }),
      ],
      controllers: [WhoAmIController],
      providers: [
        { provide: APP_GUARD, useClass: GrpcAuthGuard },
        { provide: APP_FILTER, useClass: DomainErrorToStatus },
      ],
    })
    class TestAppModule {}

    const moduleRef = await Test.createTestingModule({ imports: [TestAppModule] }).compile();
    app = moduleRef.createNestMicroservice<MicroserviceOptions>({
      transport: Transport.GRPC,
      options: { package: 'aether.authtest.v1', protoPath: PROTO, url: `127.0.0.1:${port}` },
    });
    app.useLogger(false);
    await app.listen();

    const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(PROTO, { keepCase: false })) as any;
    client = new pkg.aether.authtest.v1.WhoAmIService(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    client?.close();
    await app?.close();
    await jwks?.stop();
  });

  const developerToken = () =>
    signToken(key, {
      claims: { sub: 'dev-7', email: 'd@example.com', roles: ['developer'], perms: ['tasks:read'], sid: 's' },
    });

  it('hands the verified caller to principalFrom(metadata)', async () => {
    await expect(call('WhoAmI', bearerMetadata(await developerToken()))).resolves.toEqual({
      userId: 'dev-7',
      permissions: ['tasks:read'],
    });
    await expect(call('WhoAmIFromMetadata', bearerMetadata(await developerToken()))).resolves.toMatchObject({
      userId: 'dev-7',
    });
  });

  it('refuses a call without a token as UNAUTHENTICATED / TOKEN_MISSING', async () => {
    await expect(call('WhoAmI')).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: 'TOKEN_MISSING' });
  });

  it('refuses an expired token as UNAUTHENTICATED / TOKEN_EXPIRED', async () => {
    const expired = await signToken(key, { expiresIn: Math.floor(Date.now() / 1000) - 120 });
    await expect(call('WhoAmI', bearerMetadata(expired))).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
      details: 'TOKEN_EXPIRED',
    });
  });

  it('enforces @RequirePermissions with PERMISSION_DENIED', async () => {
    await expect(call('ManageUsers', bearerMetadata(await developerToken()))).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
    });
    const adminToken = await signToken(key, {
      claims: { sub: 'admin-1', email: 'a@example.com', roles: ['admin'], perms: ['users:manage'], sid: 's' },
    });
    await expect(call('ManageUsers', bearerMetadata(adminToken))).resolves.toMatchObject({ userId: 'admin-1' });
  });

  it('lets @Public() methods through without a token', async () => {
    await expect(call('Ping')).resolves.toMatchObject({ userId: 'anonymous' });
  });
});
