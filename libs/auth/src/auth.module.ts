import { Global, Module, type DynamicModule, type ModuleMetadata, type Provider } from '@nestjs/common';
import { ENV_TOKEN, GRPC_AUTH_GUARD } from '@aether/service-kit';
import { ACCESS_TOKEN_VERIFIER, JwtAccessTokenVerifier } from './access-token.verifier';
import {
  AuthConfigError,
  AUTH_OPTIONS,
  authOptionsFromEnv,
  resolveAuthOptions,
  type AuthModuleOptions,
  type AuthVariables,
  type ResolvedAuthOptions,
} from './auth.options';
import { GrpcAuthGuard } from './grpc-auth.guard';
import { PermissionsGuard } from './permissions.guard';

export interface AuthModuleAsyncOptions {
  imports?: ModuleMetadata['imports'];
  inject?: any[];
  useFactory: (...args: any[]) => AuthModuleOptions | Promise<AuthModuleOptions>;
}

/**
 * Provides ACCESS_TOKEN_VERIFIER, GrpcAuthGuard and PermissionsGuard app-wide (global module),
 * and GrpcAuthGuard as the kit's GRPC_AUTH_GUARD: the kit installs it on the app's gRPC server,
 * so every RPC is authenticated unless its handler is @Public().
 */
@Global()
@Module({})
export class AuthModule {
  /**
   * Configuration from the service's validated env (the kit's ENV_TOKEN; declare the variables
   * with `AuthEnv`): AUTH_JWKS_URL, AUTH_ISSUER, AUTH_AUDIENCE. `overrides` win.
   */
  static forRoot(overrides: Partial<AuthModuleOptions> = {}): DynamicModule {
    return AuthModule.build([], {
      provide: AUTH_OPTIONS,
      inject: [{ token: ENV_TOKEN, optional: true }],
      useFactory: (env?: AuthVariables): ResolvedAuthOptions => {
        if (!env) throw new AuthConfigError('AuthModule.forRoot() reads the service env (ENV_TOKEN): start the app from its service definition');
        return authOptionsFromEnv(env, overrides);
      },
    });
  }

  /** Configuration from code, e.g. the security service passing its own key set as `localJwks`. */
  static forRootAsync(options: AuthModuleAsyncOptions): DynamicModule {
    return AuthModule.build(options.imports ?? [], {
      provide: AUTH_OPTIONS,
      inject: options.inject ?? [],
      useFactory: async (...args: unknown[]): Promise<ResolvedAuthOptions> =>
        resolveAuthOptions(await options.useFactory(...args)),
    });
  }

  private static build(imports: NonNullable<ModuleMetadata['imports']>, optionsProvider: Provider): DynamicModule {
    return {
      module: AuthModule,
      global: true,
      imports,
      providers: [
        optionsProvider,
        {
          provide: ACCESS_TOKEN_VERIFIER,
          inject: [AUTH_OPTIONS],
          useFactory: (options: ResolvedAuthOptions) => new JwtAccessTokenVerifier(options),
        },
        GrpcAuthGuard,
        { provide: GRPC_AUTH_GUARD, useExisting: GrpcAuthGuard },
        PermissionsGuard,
      ],
      exports: [AUTH_OPTIONS, ACCESS_TOKEN_VERIFIER, GrpcAuthGuard, GRPC_AUTH_GUARD, PermissionsGuard],
    };
  }
}
