import { Controller, Injectable, Module } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { credentials, status as GrpcStatus } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as grpc from '@grpc/grpc-js';
import { firstValueFrom } from 'rxjs';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { IsString } from 'class-validator';
import { PROTO_LOADER_OPTIONS, securityV1 } from '@aether/contracts';
import { freePort, reflectionClient } from '@aether/testing';
import {
  BaseEnv,
  defineService,
  EnvValidationError,
  GRPC_AUTH_GUARD,
  GrpcClientsModule,
  InjectGrpcClient,
  loadEnv,
  NotFoundError,
  ReadinessProbe,
  readGrpcError,
  RunningService,
  startService,
  ValidationError,
} from '../src';

class KitTestEnv extends BaseEnv {
  @IsString() SECURITY_GRPC_URL!: string;
}

let probeUp = true;
@Injectable()
class ToggleReadiness implements ReadinessProbe {
  readonly name = 'toggle';
  async check() {
    if (!probeUp) throw new Error('toggle is down');
  }
}

/** A stand-in SecurityService: enough RPCs to exercise success, domain errors and deadlines. */
@Controller()
class FakeSecurityController {
  @GrpcMethod('SecurityService', 'GetJwks')
  getJwks(): securityV1.GetJwksResponse {
    return { keys: [{ kty: 'EC', kid: 'k1', alg: 'ES256', use: 'sig', crv: 'P-256', x: 'x', y: 'y', n: '', e: '' }] };
  }
  @GrpcMethod('SecurityService', 'RevokeApiKey')
  revoke(req: securityV1.RevokeApiKeyRequest): securityV1.RevokeApiKeyResponse {
    throw new NotFoundError(`API key ${req.id} not found`, 'API_KEY_NOT_FOUND');
  }
  @GrpcMethod('SecurityService', 'Register')
  register(): securityV1.User {
    throw new ValidationError('Invalid body', [{ field: 'email', message: 'must be an email' }]);
  }
  @GrpcMethod('SecurityService', 'Login')
  async login(): Promise<securityV1.TokenPair> {
    await new Promise((r) => setTimeout(r, 1500));
    return { accessToken: 'a', refreshToken: 'r', tokenType: 'Bearer', expiresIn: 1 };
  }
  @GrpcMethod('SecurityService', 'Logout')
  logout(): securityV1.LogoutResponse {
    throw new Error('secret internal detail at db-host-7');
  }
}

@Injectable()
class Caller {
  constructor(@InjectGrpcClient('security') readonly security: securityV1.SecurityServiceClient) {}
}

describe('service kit (real gRPC server, HTTP management port)', () => {
  let svc: RunningService;
  let grpcPort: number;
  let caller: Caller;

  beforeAll(async () => {
    grpcPort = await freePort();
    const httpPort = await freePort();
    @Module({
      imports: [GrpcClientsModule.register(['security'])],
      controllers: [FakeSecurityController],
      // This stand-in serves anonymous callers on purpose; the real guard is tested in libs/auth.
      providers: [Caller, { provide: GRPC_AUTH_GUARD, useValue: { canActivate: () => true } }],
    })
    class KitTestModule {}
    const definition = defineService({ name: 'kit-test', env: KitTestEnv, module: KitTestModule, grpc: 'security', readiness: [ToggleReadiness] });
    svc = await startService(definition, {
      env: {
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        HTTP_PORT: String(httpPort),
        GRPC_PORT: String(grpcPort),
        BIND_HOST: '127.0.0.1',
        GRPC_DEADLINE_MS: '300',
        SECURITY_GRPC_URL: `127.0.0.1:${grpcPort}`,
      },
    });
    caller = svc.app.get(Caller);
  });

  afterAll(async () => {
    await svc?.shutdown();
  });

  it('serves the API through the typed client', async () => {
    const res = await firstValueFrom(caller.security.getJwks({}));
    expect(res.keys[0]).toMatchObject({ kid: 'k1', crv: 'P-256' });
  });

  it('maps domain errors to gRPC status with code and field violations in grpc-status-details-bin', async () => {
    const notFound = await firstValueFrom(caller.security.revokeApiKey({ id: 'abc' })).catch((e) => e);
    expect(notFound.code).toBe(GrpcStatus.NOT_FOUND);
    expect(readGrpcError(notFound)).toMatchObject({ httpStatus: 404, code: 'API_KEY_NOT_FOUND' });

    const invalid = await firstValueFrom(caller.security.register({ email: 'x', password: '', name: '' })).catch((e) => e);
    expect(invalid.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(readGrpcError(invalid)).toMatchObject({
      httpStatus: 400,
      code: 'VALIDATION_FAILED',
      violations: [{ field: 'email', message: 'must be an email' }],
    });
  });

  it('hides unexpected errors behind INTERNAL without leaking their message', async () => {
    const err = await firstValueFrom(caller.security.logout({ refreshToken: 'x' })).catch((e) => e);
    expect(err.code).toBe(GrpcStatus.INTERNAL);
    expect(err.details).toBe('Internal error');
    expect(readGrpcError(err)).toMatchObject({ httpStatus: 500, code: 'INTERNAL', message: 'Internal error' });
  });

  it('puts the default deadline on every client call', async () => {
    const t0 = Date.now();
    const err = await firstValueFrom(caller.security.login({ email: '', password: '', clientIp: '', userAgent: '' })).catch((e) => e);
    expect(err.code).toBe(GrpcStatus.DEADLINE_EXCEEDED);
    expect(Date.now() - t0).toBeLessThan(1200);
    expect(readGrpcError(err).httpStatus).toBe(504);
  });

  it('serves grpc.health.v1 and server reflection', async () => {
    const healthPkg = grpc.loadPackageDefinition(protoLoader.loadSync(healthProtoPath, PROTO_LOADER_OPTIONS)) as any;
    const health = new healthPkg.grpc.health.v1.Health(`127.0.0.1:${grpcPort}`, credentials.createInsecure());
    const res = await new Promise<{ status: string }>((resolve, reject) =>
      health.check({ service: 'security' }, (err: Error | null, r: { status: string }) => (err ? reject(err) : resolve(r))),
    );
    expect(res.status).toBe('SERVING');
    health.close();

    // Both versions grpcurl and other clients use (the index is built on the first call).
    for (const version of ['v1', 'v1alpha'] as const) {
      const reflection = reflectionClient(`127.0.0.1:${grpcPort}`, version);
      try {
        expect(await reflection.services()).toEqual(expect.arrayContaining(['aether.security.v1.SecurityService']));
        const file = await reflection.ask({ fileContainingSymbol: 'aether.security.v1.SecurityService' });
        expect(file.fileDescriptorResponse.fileDescriptorProto.length).toBeGreaterThan(0);
      } finally {
        reflection.close();
      }
    }
  });

  it('answers /healthz, /readyz (with probe state) and /metrics with RED series', async () => {
    const base = `http://127.0.0.1:${svc.httpPort}`;
    const live = await fetch(`${base}/healthz`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'ok' });
    expect(live.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

    const echoed = await fetch(`${base}/healthz`, { headers: { 'x-request-id': 'abc-123' } });
    expect(echoed.headers.get('x-request-id')).toBe('abc-123');
    const insane = await fetch(`${base}/healthz`, { headers: { 'x-request-id': 'bad id with spaces <script>' } });
    expect(insane.headers.get('x-request-id')).not.toContain('script');

    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    probeUp = false;
    const down = await fetch(`${base}/readyz`);
    expect(down.status).toBe(503);
    expect(JSON.stringify(await down.json())).toContain('toggle is down');
    probeUp = true;

    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/http_server_request_duration_seconds_count\{[^}]*method="GET",route="\/healthz",status_code="200"/);
    expect(metrics).toMatch(/grpc_server_handling_seconds_count\{[^}]*method="getJwks"[^}]*code="OK"/);
    expect(metrics).toMatch(/grpc_server_handling_seconds_count\{[^}]*code="NOT_FOUND"/);
    expect(metrics).toMatch(/grpc_client_handling_seconds_count\{[^}]*target="security"/);
  });

  it('keeps the request path free of async_hooks: no AsyncLocalStorage is entered per request', async () => {
    // On Node 20 a single AsyncLocalStorage.run turns on promise hooks for the whole process.
    const { storage } = jest.requireActual<typeof import('nestjs-pino/storage')>('nestjs-pino/storage');
    await fetch(`http://127.0.0.1:${svc.httpPort}/healthz`);
    expect((storage as unknown as { enabled: boolean }).enabled).toBe(false);
  });
});

describe('service definition', () => {
  it('refuses to start a gRPC server without an auth guard', async () => {
    @Module({ controllers: [FakeSecurityController] })
    class UnguardedModule {}
    const grpcPort = await freePort();
    const httpPort = await freePort();
    const env = { NODE_ENV: 'test', LOG_LEVEL: 'silent', BIND_HOST: '127.0.0.1', HTTP_PORT: String(httpPort), GRPC_PORT: String(grpcPort), SECURITY_GRPC_URL: 'x:1' };
    const definition = defineService({ name: 'security', env: KitTestEnv, module: UnguardedModule, grpc: true });
    await expect(startService(definition, { env })).rejects.toThrow(/gRPC server of security has no auth guard/);
  });

  it('rejects a name that is not an app folder and grpc: true without a contract', () => {
    expect(() => defineService({ name: 'Task_Manager', env: BaseEnv, module: class {}, grpc: false })).toThrow(/app folder name/);
    expect(() => defineService({ name: 'billing', env: BaseEnv, module: class {}, grpc: true })).toThrow(/no gRPC contract/);
  });

  it('stops with EnvValidationError before anything starts when the env is bad', async () => {
    const definition = defineService({ name: 'kit-test', env: KitTestEnv, module: class {}, grpc: false });
    await expect(startService(definition, { env: { HTTP_PORT: 'eighty' } })).rejects.toBeInstanceOf(EnvValidationError);
  });
});

describe('loadEnv', () => {
  it('names every missing or bad variable without echoing values', () => {
    let err: EnvValidationError | undefined;
    try {
      loadEnv(KitTestEnv, { HTTP_PORT: 'not-a-port', NODE_ENV: 'staging', SOME_SECRET: 'hunter2' });
    } catch (e) {
      err = e as EnvValidationError;
    }
    expect(err).toBeInstanceOf(EnvValidationError);
    const vars = err!.problems.map((p) => p.variable).sort();
    expect(vars).toEqual(['HTTP_PORT', 'NODE_ENV', 'SECURITY_GRPC_URL']);
    expect(err!.message).toContain('SECURITY_GRPC_URL: is missing');
    expect(err!.message).not.toContain('hunter2');
    expect(err!.message).not.toContain('staging');
  });

  it('applies defaults and converts numbers', () => {
    const env = loadEnv(KitTestEnv, { SECURITY_GRPC_URL: 'x:1', GRPC_PORT: '6000' });
    expect(env.GRPC_PORT).toBe(6000);
    expect(env.HTTP_PORT).toBe(8080);
    expect(env.NODE_ENV).toBe('production');
  });
});
