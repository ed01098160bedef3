import { AuthEnv } from '@aether/auth';
import { BaseEnv } from '@aether/service-kit';
import { Type } from 'class-transformer';
import { IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, Min, MinLength, ValidateIf } from 'class-validator';

/**
 * Environment of the api-gateway, validated at start-up by the service kit (a bad value stops the
 * process naming the variable). Every default is listed in apps/api-gateway/README.md.
 */
export class GatewayEnv extends AuthEnv(BaseEnv) {
  /** The gateway has no gRPC server; its public REST API and /healthz live on HTTP_PORT. */
  HTTP_PORT = 8080;

  /** Rate-limit counters and idempotency records; also the gateway's readiness dependency. */
  @IsString() @IsNotEmpty() REDIS_URL = 'redis://127.0.0.1:6379';

  /** Prefix of every Redis key the gateway writes (lets tests and several stacks share a server). */
  @IsString() REDIS_KEY_PREFIX = 'aether:gw:';

  /**
   * host:port of each upstream gRPC API, read by the kit's GrpcClientsModule. Defaults are the
   * ports of docs/conventions.md; clients connect lazily, so an unset upstream only fails the
   * routes that need it (503), never the gateway's start.
   */
  @IsString() @IsNotEmpty() SECURITY_GRPC_URL = '127.0.0.1:50051';
  @IsString() @IsNotEmpty() TASK_MANAGER_GRPC_URL = '127.0.0.1:50052';
  @IsString() @IsNotEmpty() ANALYTICS_GRPC_URL = '127.0.0.1:50053';
  @IsString() @IsNotEmpty() AI_GATEWAY_GRPC_URL = '127.0.0.1:50054';
  @IsString() @IsNotEmpty() CODE_ASSISTANT_GRPC_URL = '127.0.0.1:50055';
  @IsString() @IsNotEmpty() INTEGRATION_HUB_GRPC_URL = '127.0.0.1:50056';
  @IsString() @IsNotEmpty() DOCKER_MANAGER_GRPC_URL = '127.0.0.1:50057';
  @IsString() @IsNotEmpty() RAG_GRPC_URL = '127.0.0.1:50058';

  /** Where the access-token verification keys are published (security's management port); AuthEnv validates it. */
  AUTH_JWKS_URL = 'http://127.0.0.1:9101/.well-known/jwks.json';

  /** Authenticated callers: points per window, per user id (a JWT and all the user's API keys). */
  @Type(() => Number) @IsInt() @Min(1) RATE_LIMIT_DEFAULT_POINTS = 600;
  @Type(() => Number) @IsInt() @Min(1) RATE_LIMIT_DEFAULT_WINDOW_SECONDS = 60;
  /** Anonymous routes (refresh, logout, JWKS) and failed authentications: per client IP. */
  @Type(() => Number) @IsInt() @Min(1) RATE_LIMIT_ANON_POINTS = 120;
  @Type(() => Number) @IsInt() @Min(1) RATE_LIMIT_ANON_WINDOW_SECONDS = 60;
  /** Login and register (credential guessing, account spam): per client IP, stricter. */
  @Type(() => Number) @IsInt() @Min(1) RATE_LIMIT_AUTH_POINTS = 10;
  @Type(() => Number) @IsInt() @Min(1) RATE_LIMIT_AUTH_WINDOW_SECONDS = 60;

  /** How long an Idempotency-Key and its first answer are kept. */
  @Type(() => Number) @IsInt() @Min(60) @Max(7 * 86_400) IDEMPOTENCY_TTL_SECONDS = 86_400;
  /**
   * Server secret (>= 32 characters) keying the idempotency records: their Redis names, body
   * fingerprints and answer encryption. Every replica must share it. Required in production;
   * elsewhere unset means a random one per process (replays then do not survive a restart).
   */
  @ValidateIf((e: GatewayEnv) => e.NODE_ENV === 'production' || e.IDEMPOTENCY_SECRET !== undefined)
  @IsString({ message: 'IDEMPOTENCY_SECRET is required in production (>= 32 characters, shared by every replica)' })
  @MinLength(32, { message: 'IDEMPOTENCY_SECRET must be at least 32 characters' })
  IDEMPOTENCY_SECRET?: string;

  /** Largest accepted request body; bigger ones get 413. */
  @Type(() => Number) @IsInt() @Min(1024) @Max(64 * 1024 * 1024) BODY_LIMIT_BYTES = 1_048_576;

  /**
   * Which proxies may set X-Forwarded-For (client IP for rate limits and audit): `false` (default,
   * the socket address is the client), `true` (trust all), a hop count, or comma-separated
   * addresses/CIDRs.
   */
  @IsOptional() @IsString() @Matches(/^(true|false|\d+|[0-9a-fA-F.:/]+(\s*,\s*[0-9a-fA-F.:/]+)*)$/, {
    message: 'TRUST_PROXY must be true, false, a hop count or comma-separated addresses/CIDRs',
  })
  TRUST_PROXY = 'false';
}
