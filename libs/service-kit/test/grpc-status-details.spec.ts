/**
 * Errors on the wire through a real grpc-js server and client of the kit: the domain detail
 * travels as a google.rpc.Status in grpc-status-details-bin, so messages with any characters
 * (non-ASCII, emoji, CR/LF, a lone surrogate) and of any size come back as the status they are,
 * never as a transport failure.
 */
import { Controller, Injectable, Module } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { firstValueFrom } from 'rxjs';
import { IsString } from 'class-validator';
import { googleRpcErrorDetails, googleRpcStatus, securityV1 } from '@aether/contracts';
import { freePort } from '@aether/testing';
import {
  BaseEnv,
  defineService,
  GRPC_AUTH_GUARD,
  GrpcClientsModule,
  InjectGrpcClient,
  RateLimitedError,
  readGrpcError,
  RunningService,
  startService,
  STATUS_DETAILS_KEY,
  ValidationError,
} from '../src';

class DetailsTestEnv extends BaseEnv {
  @IsString() SECURITY_GRPC_URL!: string;
}

const MESSAGE = 'Ungültige Eingabe für Europe/Bärlin 🙂\r\nzweite Zeile';
const VIOLATIONS = [
  { field: 'timezone', message: 'unknown time zone "Europe/Bärlin"' },
  { field: 'cron', message: 'invalid day of week "MÖN" in "0 9 * * MÖN"' },
  { field: 'task.title', message: 'emoji 🚀👩‍💻 and\r\nCR/LF\n\t%0A%ZZ stay as they are' },
];
const BIG_VALUE = 'ä'.repeat(200_000);

@Controller()
class ThrowingController {
  @GrpcMethod('SecurityService', 'Register')
  register(): securityV1.User {
    throw new ValidationError(MESSAGE, VIOLATIONS);
  }
  @GrpcMethod('SecurityService', 'Login')
  login(): securityV1.TokenPair {
    throw new RateLimitedError('Zu viele Versuche – später 🙅', 30);
  }
  @GrpcMethod('SecurityService', 'Logout')
  logout(): securityV1.LogoutResponse {
    // A lone surrogate makes encodeURI (grpc-message) throw; a huge echo overflows the trailers.
    throw new ValidationError(`bad value \ud800 ${BIG_VALUE}`, [
      { field: 'name', message: 'lone \udc00 surrogate' },
      ...Array.from({ length: 500 }, (_, i) => ({ field: `labels.${i}`, message: `unknown label ${BIG_VALUE}` })),
    ]);
  }
}

@Injectable()
class Caller {
  constructor(@InjectGrpcClient('security') readonly security: securityV1.SecurityServiceClient) {}
}

describe('gRPC error details on the wire (grpc-status-details-bin)', () => {
  let svc: RunningService;
  let caller: Caller;

  beforeAll(async () => {
    const grpcPort = await freePort();
    // Every call is let through: this suite is about errors, not authentication.
    const allowAll = { provide: GRPC_AUTH_GUARD, useValue: { canActivate: () => true } };
    @Module({ imports: [GrpcClientsModule.register(['security'])], controllers: [ThrowingController], providers: [Caller, allowAll] })
    class DetailsTestModule {}
    const definition = defineService({ name: 'details-test', env: DetailsTestEnv, module: DetailsTestModule, grpc: 'security' });
    svc = await startService(definition, {
      env: {
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        HTTP_PORT: String(await freePort()),
        GRPC_PORT: String(grpcPort),
        BIND_HOST: '127.0.0.1',
        GRPC_DEADLINE_MS: '5000',
        SECURITY_GRPC_URL: `127.0.0.1:${grpcPort}`,
      },
    });
    caller = svc.app.get(Caller);
  });

  afterAll(async () => {
    await svc?.shutdown();
  });

  const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('expected the call to fail'); }, (e: ServiceError) => e);

  it('carries non-ASCII, emoji and CR/LF messages and violations exactly', async () => {
    const err = await failure(firstValueFrom(caller.security.register({ email: 'x', password: '', name: '' })));
    expect(err.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(err.details).toBe(MESSAGE);
    expect(readGrpcError(err)).toEqual({
      grpcCode: GrpcStatus.INVALID_ARGUMENT,
      httpStatus: 400,
      code: 'VALIDATION_FAILED',
      message: MESSAGE,
      violations: VIOLATIONS,
      retryAfterSeconds: undefined,
    });
    // The old ASCII trailers are gone: the status details are the one carrier.
    expect(err.metadata.get('x-field-violations')).toEqual([]);
    expect(err.metadata.get('x-error-code')).toEqual([]);
  });

  it('is the standard google.rpc.Status with ErrorInfo and BadRequest', async () => {
    const err = await failure(firstValueFrom(caller.security.register({ email: 'x', password: '', name: '' })));
    const raw = err.metadata.get(STATUS_DETAILS_KEY)[0] as Buffer;
    const status = googleRpcStatus.Status.decode(raw);
    expect(status).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT, message: MESSAGE });
    expect(status.details.map((d) => d.typeUrl)).toEqual(['type.googleapis.com/google.rpc.ErrorInfo', 'type.googleapis.com/google.rpc.BadRequest']);
    expect(googleRpcErrorDetails.ErrorInfo.decode(status.details[0].value)).toEqual({ reason: 'VALIDATION_FAILED', domain: 'aether.dev', metadata: {} });
    expect(googleRpcErrorDetails.BadRequest.decode(status.details[1].value).fieldViolations).toEqual(
      VIOLATIONS.map((v) => ({ field: v.field, description: v.message })),
    );
  });

  it('carries the retry delay of RESOURCE_EXHAUSTED as RetryInfo', async () => {
    const err = await failure(firstValueFrom(caller.security.login({ email: '', password: '', clientIp: '', userAgent: '' })));
    expect(err.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(readGrpcError(err)).toMatchObject({ httpStatus: 429, code: 'RATE_LIMITED', message: 'Zu viele Versuche – später 🙅', retryAfterSeconds: 30 });
  });

  it('a lone surrogate or a huge echoed value still yields INVALID_ARGUMENT, bounded', async () => {
    const err = await failure(firstValueFrom(caller.security.logout({ refreshToken: '' })));
    expect(err.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(err.details.startsWith('bad value \ufffd ää')).toBe(true);
    expect(err.details.length).toBeLessThanOrEqual(300);
    const detail = readGrpcError(err);
    expect(detail.code).toBe('VALIDATION_FAILED');
    expect(detail.violations[0]).toEqual({ field: 'name', message: 'lone \ufffd surrogate' });
    expect(detail.violations.length).toBeGreaterThan(1);
    expect(detail.violations.length).toBeLessThan(501);
    expect((err.metadata.get(STATUS_DETAILS_KEY)[0] as Buffer).length).toBeLessThanOrEqual(3072);
  });
});
