import { Global, Module, type DynamicModule, type ModuleMetadata, type Provider } from '@nestjs/common';
import { ACCESS_TOKEN_VERIFIER, JwtAccessTokenVerifier } from './access-token.verifier';
import {
  AUTH_OPTIONS,
  authOptionsFromEnv,
  resolveAuthOptions,
  type AuthModuleOptions,
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
 * Provides ACCESS_TOKEN_VERIFIER, GrpcAuthGuard and PermissionsGuard app-wide (global module).
 * Guards are not switched on here; a gRPC service adds `GrpcAuthAppGuard` to its root providers.
 */
@Global()
@Module({})
export class AuthModule {
  /** Configuration from AUTH_JWKS_URL (required), AUTH_ISSUER, AUTH_AUDIENCE; `overrides` win. */
  static forRoot(overrides: Partial<AuthModuleOptions> = {}): DynamicModule {
    return AuthModule.build([], {
      provide: AUTH_OPTIONS,
      useFactory: (): ResolvedAuthOptions => authOptionsFromEnv(process.env, overrides),
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
        PermissionsGuard,
      ],
      exports: [AUTH_OPTIONS, ACCESS_TOKEN_VERIFIER, GrpcAuthGuard, PermissionsGuard],
    };
  }
}
