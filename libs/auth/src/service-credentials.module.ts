import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { securityV1 } from '@aether/contracts';
import { ENV_TOKEN, GrpcClientsModule, grpcClientToken, type BaseEnv } from '@aether/service-kit';
import { IsString, Matches, MinLength, ValidateIf } from 'class-validator';
import { firstValueFrom } from 'rxjs';
import { ServiceTokenProvider, type ServiceTokenProviderOptions } from './service-credentials';

type EnvClass = new (...args: any[]) => BaseEnv;

/** Variables ServiceCredentialsModule reads, declared by `ServiceCredentialsEnv`. */
export interface ServiceCredentialsVariables {
  NODE_ENV: string;
  SERVICE_CLIENT_SECRET?: string;
}

/**
 * Adds what a service needs to get its own (client-credentials) token to its env class:
 * SECURITY_GRPC_URL (services.yaml `calls: [security]`) and SERVICE_CLIENT_SECRET, the secret
 * security holds for this client in SERVICE_CLIENT_SECRETS. Required in production (≥ 32
 * characters); elsewhere unset means no service token (calls needing one fail with 401).
 */
export function ServiceCredentialsEnv<TBase extends EnvClass>(Base: TBase) {
  class WithServiceCredentialsEnv extends Base {
    /** host:port of the security service's gRPC API. */
    @IsString() @Matches(/^\S+:\d+$/, { message: 'SECURITY_GRPC_URL must be host:port' })
    SECURITY_GRPC_URL!: string;

    @ValidateIf((e: WithServiceCredentialsEnv) => e.NODE_ENV === 'production' || e.SERVICE_CLIENT_SECRET !== undefined)
    @IsString({ message: 'SERVICE_CLIENT_SECRET is required in production (the secret security lists for this service in SERVICE_CLIENT_SECRETS)' })
    @MinLength(32, { message: 'SERVICE_CLIENT_SECRET must be at least 32 characters' })
    SERVICE_CLIENT_SECRET?: string;
  }
  return WithServiceCredentialsEnv;
}

export interface ServiceCredentialsModuleOptions extends ServiceTokenProviderOptions {
  /** This service's client id: its name in services.yaml (security's SERVICE_CLIENT_SECRETS key). */
  clientId: string;
}

/**
 * Provides `ServiceTokenProvider` app-wide: this service's own access token, exchanged with the
 * security service's IssueServiceToken (client id + SERVICE_CLIENT_SECRET) and cached. Use it for
 * calls no user is behind: `client.someRpc(req, await serviceToken.metadata())`.
 */
@Global()
@Module({})
export class ServiceCredentialsModule {
  static forRoot(options: ServiceCredentialsModuleOptions): DynamicModule {
    return {
      module: ServiceCredentialsModule,
      global: true,
      imports: [GrpcClientsModule.register(['security'])],
      providers: [
        {
          provide: ServiceTokenProvider,
          inject: [ENV_TOKEN, grpcClientToken('security')],
          useFactory: (env: ServiceCredentialsVariables, security: securityV1.SecurityServiceClient) =>
            new ServiceTokenProvider(securityTokenFetcher(security, options.clientId, env.SERVICE_CLIENT_SECRET ?? ''), options),
        },
      ],
      exports: [ServiceTokenProvider],
    };
  }
}

/** IssueServiceToken on the security service; its errors (401, 503) reach the caller as they are. */
export function securityTokenFetcher(security: securityV1.SecurityServiceClient, clientId: string, clientSecret: string) {
  return async () => {
    const res = await firstValueFrom(security.issueServiceToken({ clientId, clientSecret }));
    return { accessToken: res.accessToken, expiresIn: res.expiresIn };
  };
}
