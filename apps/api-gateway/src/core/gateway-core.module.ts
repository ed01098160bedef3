import { Global, Module } from '@nestjs/common';
import { APP_GUARD, APP_PIPE } from '@nestjs/core';
import { GrpcClientsModule, REDIS_CLIENT } from '@aether/service-kit';
import { AuthModule, PermissionsGuard } from '@aether/auth';
import { GatewayEnv } from '../config/gateway.env';
import { ApiKeyAuthenticator } from '../authentication/api-key.authenticator';
import { AuthenticationGuard } from '../authentication/authentication.guard';
import { createValidationPipe } from '../http/validation';
import { IdempotencyInterceptor } from '../idempotency/idempotency.interceptor';
import { IdempotencyStore } from '../idempotency/idempotency.store';
import { idempotencySecret } from '../idempotency/idempotency-secret';
import { RateLimitGuard } from '../rate-limit/rate-limit.guard';
import { RateLimits } from '../rate-limit/rate-limits';
import { RedisConnection } from '../redis/redis.connection';

const securityClient = GrpcClientsModule.register(['security']);

/**
 * What every gateway route gets without asking: authentication (JWT or API key), then the rate
 * limit, then `@RequirePermissions` (guards run in this order), strict DTO validation, and the
 * Redis-backed stores behind `@RateLimit` and `@Idempotent`. Global, so feature modules only
 * import their own gRPC clients. (Problem+json rendering is installed in configureGatewayHttp.)
 */
@Global()
@Module({
  imports: [
    securityClient,
    // AUTH_JWKS_URL / AUTH_ISSUER / AUTH_AUDIENCE from GatewayEnv (AuthEnv).
    AuthModule.forRoot(),
  ],
  providers: [
    RedisConnection,
    { provide: REDIS_CLIENT, inject: [RedisConnection], useFactory: (c: RedisConnection) => c.client },
    {
      provide: RateLimits,
      inject: [RedisConnection, GatewayEnv],
      useFactory: (c: RedisConnection, env: GatewayEnv) =>
        new RateLimits(c.client, env.REDIS_KEY_PREFIX, {
          default: { points: env.RATE_LIMIT_DEFAULT_POINTS, windowSeconds: env.RATE_LIMIT_DEFAULT_WINDOW_SECONDS },
          anonymous: { points: env.RATE_LIMIT_ANON_POINTS, windowSeconds: env.RATE_LIMIT_ANON_WINDOW_SECONDS },
          auth: { points: env.RATE_LIMIT_AUTH_POINTS, windowSeconds: env.RATE_LIMIT_AUTH_WINDOW_SECONDS },
          webhook: { points: env.RATE_LIMIT_WEBHOOK_POINTS, windowSeconds: env.RATE_LIMIT_WEBHOOK_WINDOW_SECONDS },
        }),
    },
    {
      provide: IdempotencyStore,
      inject: [RedisConnection, GatewayEnv],
      useFactory: (c: RedisConnection, env: GatewayEnv) =>
        new IdempotencyStore(c.client, env.REDIS_KEY_PREFIX, env.IDEMPOTENCY_TTL_SECONDS, idempotencySecret(env)),
    },
    IdempotencyInterceptor,
    ApiKeyAuthenticator,
    { provide: APP_GUARD, useClass: AuthenticationGuard },
    { provide: APP_GUARD, useClass: RateLimitGuard },
    { provide: APP_GUARD, useClass: PermissionsGuard },
    { provide: APP_PIPE, useFactory: createValidationPipe },
  ],
  exports: [securityClient, REDIS_CLIENT, RateLimits, IdempotencyStore, IdempotencyInterceptor],
})
export class GatewayCoreModule {}
