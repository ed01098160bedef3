import { Controller, Injectable, Module, UseInterceptors, type CallHandler, type CanActivate, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { firstValueFrom, map, of, type Observable } from 'rxjs';
import { IsString } from 'class-validator';
import { securityV1 } from '@aether/contracts';
import { freePort } from '@aether/testing';
import { BaseEnv } from '../config';
import { NotFoundError, readGrpcError } from '../errors';
import { GrpcClientsModule, InjectGrpcClient } from './grpc-clients.module';
import { GRPC_AUTH_GUARD } from '../tokens';
import { defineService } from '../service-definition';
import { startService, type RunningService } from '../bootstrap';
import { MetricsService } from '../metrics';

class DispatchTestEnv extends BaseEnv {
  @IsString() SECURITY_GRPC_URL!: string;
}

/** Where each handler was called from (its synchronous stack), and what the guard saw. */
const seen: Record<string, string> = {};
const guardSaw: { type?: string; handler?: string; className?: string; metadata?: unknown; request?: unknown }[] = [];

/** Refuses (returns false) calls carrying `x-deny`, as a guard may; admits the rest. */
@Injectable()
class TestGuard implements CanActivate {
  canActivate(ctx: ExecutionContext): boolean | Promise<boolean> {
    const rpc = ctx.switchToRpc();
    guardSaw.push({ type: ctx.getType(), handler: ctx.getHandler().name, className: ctx.getClass().name, metadata: rpc.getContext(), request: rpc.getData() });
    const md = rpc.getContext<Metadata>();
    if (md.get('x-deny').length) return false;
    return md.get('x-async').length ? Promise.resolve(true) : true;
  }
}

class Upper implements NestInterceptor {
  intercept(_ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(map((u: securityV1.User) => ({ ...u, name: u.name.toUpperCase() })));
  }
}

@Controller()
class DispatchController {
  @GrpcMethod('SecurityService', 'GetMe')
  async getMe(_req: securityV1.GetMeRequest, md: Metadata): Promise<securityV1.Me> {
    seen.getMe = new Error().stack ?? '';
    await new Promise((r) => setImmediate(r));
    return { id: 'u1', email: 'a@b.c', name: String(md.get('x-name')[0] ?? 'n'), roles: ['developer'], permissions: [] };
  }

  @GrpcMethod('SecurityService', 'GetJwks')
  getJwks(): Observable<securityV1.GetJwksResponse> {
    seen.getJwks = new Error().stack ?? '';
    return of({ keys: [{ kty: 'EC', kid: 'obs', alg: 'ES256', use: 'sig', crv: 'P-256', x: 'x', y: 'y', n: '', e: '' }] });
  }

  @GrpcMethod('SecurityService', 'RevokeApiKey')
  revoke(req: securityV1.RevokeApiKeyRequest): securityV1.RevokeApiKeyResponse {
    throw new NotFoundError(`API key ${req.id} not found`, 'API_KEY_NOT_FOUND');
  }

  @GrpcMethod('SecurityService', 'Logout')
  async logout(): Promise<securityV1.LogoutResponse> {
    throw new Error('secret internal detail');
  }
}

/** A controller with an interceptor: it keeps Nest's pipeline, interceptor included. */
@Controller()
@UseInterceptors(Upper)
class InterceptedController {
  @GrpcMethod('SecurityService', 'Register')
  register(req: securityV1.RegisterRequest): securityV1.User {
    seen.register = new Error().stack ?? '';
    return { id: 'u2', email: req.email, name: req.name, roles: [], createdAt: '' } as securityV1.User;
  }
}

@Injectable()
class Caller {
  constructor(@InjectGrpcClient('security') readonly security: securityV1.SecurityServiceClient) {}
}

function meta(entries: Record<string, string>): Metadata {
  const md = new Metadata();
  for (const [k, v] of Object.entries(entries)) md.set(k, v);
  return md;
}

async function rejection(p: Promise<unknown>): Promise<ServiceError> {
  try {
    await p;
  } catch (e) {
    return e as ServiceError;
  }
  throw new Error('expected an error');
}

describe('KitGrpcServer: unary handlers called directly (real gRPC server)', () => {
  let svc: RunningService;
  let caller: Caller;

  beforeAll(async () => {
    const grpcPort = await freePort();
    @Module({
      imports: [GrpcClientsModule.register(['security'])],
      controllers: [DispatchController, InterceptedController],
      providers: [Caller, TestGuard, { provide: GRPC_AUTH_GUARD, useExisting: TestGuard }],
    })
    class DispatchTestModule {}
    const definition = defineService({ name: 'dispatch-test', env: DispatchTestEnv, module: DispatchTestModule, grpc: 'security' });
    svc = await startService(definition, {
      env: {
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        HTTP_PORT: String(await freePort()),
        GRPC_PORT: String(grpcPort),
        BIND_HOST: '127.0.0.1',
        SECURITY_GRPC_URL: `127.0.0.1:${grpcPort}`,
      },
      listen: false,
    });
    caller = svc.app.get(Caller);
  });

  afterAll(async () => {
    await svc?.shutdown();
  });

  beforeEach(() => {
    guardSaw.length = 0;
  });

  it('calls a plain unary handler without Nest’s rpc pipeline, after the guard saw the same context Nest gives it', async () => {
    const md = meta({ 'x-name': 'direct' });
    const me = await firstValueFrom(caller.security.getMe({}, md));
    expect(me).toMatchObject({ id: 'u1', name: 'direct' });
    expect(seen.getMe).toMatch(/grpc-dispatch/);
    expect(seen.getMe).not.toMatch(/rpc-context-creator|rpc-proxy/);
    expect(guardSaw).toHaveLength(1);
    expect(guardSaw[0]).toMatchObject({ type: 'rpc', handler: 'getMe', className: 'DispatchController', request: {} });
    expect((guardSaw[0].metadata as Metadata).get('x-name')).toEqual(['direct']);
  });

  it('waits for an async guard, and answers from an observable handler', async () => {
    const res = await firstValueFrom(caller.security.getJwks({}, meta({ 'x-async': '1' })));
    expect(res.keys[0].kid).toBe('obs');
    expect(seen.getJwks).toMatch(/grpc-dispatch/);
  });

  it('maps thrown and rejected errors as the kit’s filter does (domain status, internal errors hidden)', async () => {
    const notFound = await rejection(firstValueFrom(caller.security.revokeApiKey({ id: 'k9' })));
    expect(notFound.code).toBe(GrpcStatus.NOT_FOUND);
    expect(readGrpcError(notFound)).toMatchObject({ code: 'API_KEY_NOT_FOUND', message: 'API key k9 not found' });
    const internal = await rejection(firstValueFrom(caller.security.logout({ refreshToken: 'r' })));
    expect(internal.code).toBe(GrpcStatus.INTERNAL);
    expect(internal.details).toBe('Internal error');
  });

  it('refuses a call whose guard returns false, as Nest’s pipeline does (no handler call)', async () => {
    delete seen.getMe;
    const err = await rejection(firstValueFrom(caller.security.getMe({}, meta({ 'x-deny': '1' }))));
    expect(err.code).toBe(GrpcStatus.INTERNAL);
    expect(seen.getMe).toBeUndefined();
  });

  it('keeps Nest’s pipeline for a controller with enhancers (its interceptor runs, the guard too)', async () => {
    const user = await firstValueFrom(caller.security.register({ email: 'x@y.z', password: 'p', name: 'quiet' }));
    expect(user.name).toBe('QUIET');
    expect(seen.register).toMatch(/rpc-context-creator|rpc-proxy/);
    expect(guardSaw.map((g) => g.handler)).toEqual(['register']);
  });
  it('records grpc_server_handling_seconds for direct and pipeline methods alike, once per call (the direct call named for the interceptor)', async () => {
    await firstValueFrom(caller.security.getMe({}, meta({})));
    await rejection(firstValueFrom(caller.security.revokeApiKey({ id: 'k1' })));
    await firstValueFrom(caller.security.register({ email: 'm@y.z', password: 'p', name: 'm' }));
    const text = await svc.app.get(MetricsService).registry.metrics();
    const count = (method: string, code: string) =>
      Number(new RegExp(`grpc_server_handling_seconds_count\\{[^}]*method="${method}"[^}]*code="${code}"[^}]*\\} (\\d+)`).exec(text)?.[1] ?? 0);
    // Each call counted once: two GetMe OK so
    // far in this suite, one refused by the guard, two RevokeApiKey NOT_FOUND, two Register.
    expect(count('getMe', 'OK')).toBe(2);
    expect(count('getMe', 'INTERNAL')).toBe(1);
    expect(count('revoke', 'NOT_FOUND')).toBe(2);
    expect(count('register', 'OK')).toBe(2);
    expect(text).toMatch(/grpc_server_handling_seconds_count\{[^}]*service="DispatchController"[^}]*method="getMe"/);
  });
});
