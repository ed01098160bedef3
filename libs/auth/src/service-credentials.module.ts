import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { securityV1 } from '@aether/contracts';
import { ENV_TOKEN, GrpcClientsModule, grpcClientToken } from '@aether/service-kit';
import { firstValueFrom } from 'rxjs';
import type { ServiceCredentialsVariables } from './service-credentials-env';
import { ServiceTokenProvider, type ServiceTokenProviderOptions } from './service-credentials';

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
