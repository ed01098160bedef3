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
  /** host:port of task-manager's gRPC API. */
  @IsString() @IsNotEmpty() TASK_MANAGER_GRPC_URL = '127.0.0.1:50052';
  /** host:port of analytics' gRPC API. */
  @IsString() @IsNotEmpty() ANALYTICS_GRPC_URL = '127.0.0.1:50053';
  /** host:port of ai-gateway's gRPC API. */
  @IsString() @IsNotEmpty() AI_GATEWAY_GRPC_URL = '127.0.0.1:50054';
  /** Deadline of a non-streamed completion or embeddings call to ai-gateway (model calls take long). */
  @Type(() => Number) @IsInt() @Min(1000) @Max(3_600_000) AI_COMPLETION_DEADLINE_MS = 600_000;
  /** A stream with no chunk nor keep-alive from ai-gateway for this long is given up (streams have no total deadline). */
  @Type(() => Number) @IsInt() @Min(100) @Max(3_600_000) AI_STREAM_IDLE_TIMEOUT_MS = 60_000;
  /** host:port of code-assistant's gRPC API (coming service). */
  @IsString() @IsNotEmpty() CODE_ASSISTANT_GRPC_URL = '127.0.0.1:50055';
  /** host:port of integration-hub's gRPC API (coming service). */
  @IsString() @IsNotEmpty() INTEGRATION_HUB_GRPC_URL = '127.0.0.1:50056';
  /** host:port of docker-manager's gRPC API (/api/v1/containers). */
  @IsString() @IsNotEmpty() DOCKER_MANAGER_GRPC_URL = '127.0.0.1:50057';
  /** host:port of rag's gRPC API (coming service). */
  @IsString() @IsNotEmpty() RAG_GRPC_URL = '127.0.0.1:50058';

  /** Where the access-token verification keys are published (security's management port); AuthEnv validates it. */
  AUTH_JWKS_URL = 'http://127.0.0.1:9101/.well-known/jwks.json';

  /** Authenticated callers: points per window, per user id (a JWT and all the user's API keys). */
  @Type(() => Number) @IsInt() @Min(1) RATE_LIMIT_DEFAULT_POINTS = 600;
  /** Window of RATE_LIMIT_DEFAULT_POINTS. */
  @Type(() => Number) @IsInt() @Min(1) RATE_LIMIT_DEFAULT_WINDOW_SECONDS = 60;
  /** Anonymous routes (refresh, logout, JWKS) and failed authentications: per client IP. */
  @Type(() => Number) @IsInt() @Min(1) RATE_LIMIT_ANON_POINTS = 120;
  /** Window of RATE_LIMIT_ANON_POINTS. */
  @Type(() => Number) @IsInt() @Min(1) RATE_LIMIT_ANON_WINDOW_SECONDS = 60;
  /** Login and register (credential guessing, account spam): per client IP, stricter. */
  @Type(() => Number) @IsInt() @Min(1) RATE_LIMIT_AUTH_POINTS = 10;
  /** Window of RATE_LIMIT_AUTH_POINTS. */
  @Type(() => Number) @IsInt() @Min(1) RATE_LIMIT_AUTH_WINDOW_SECONDS = 60;
  /** Inbound webhooks (/api/v1/webhooks/...): per connection id, generous (providers post in bursts, GitHub never retries a refusal). */
  @Type(() => Number) @IsInt() @Min(1) RATE_LIMIT_WEBHOOK_POINTS = 6000;
  /** Window of RATE_LIMIT_WEBHOOK_POINTS. */
  @Type(() => Number) @IsInt() @Min(1) RATE_LIMIT_WEBHOOK_WINDOW_SECONDS = 60;

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

  /** Largest inbound webhook body (/api/v1/webhooks/...); bigger ones get 413. Kept under gRPC's 4 MiB message limit. */
  @Type(() => Number) @IsInt() @Min(1024) @Max(4 * 1024 * 1024 - 65_536) WEBHOOK_BODY_LIMIT_BYTES = 2 * 1024 * 1024;

  /** Largest document POST /api/v1/rag/documents accepts (a multipart file, or a JSON document's text); bigger: 413. */
  @Type(() => Number) @IsInt() @Min(1024) @Max(60 * 1024 * 1024) RAG_MAX_UPLOAD_BYTES = 20 * 1024 * 1024;

  /**
   * Which proxies may set X-Forwarded-For (client IP for rate limits and audit): `false` (default,
   * the socket address is the client), `true` (trust all), a hop count, or comma-separated
   * addresses/CIDRs.
   */
  @IsOptional() @IsString() @Matches(/^(true|false|\d+|[0-9a-fA-F.:/]+(\s*,\s*[0-9a-fA-F.:/]+)*)$/, {
    message: 'TRUST_PROXY must be true, false, a hop count or comma-separated addresses/CIDRs',
  })
  TRUST_PROXY = 'false';

  // --- Strangler-fig routing (src/migration; README "Migrating a route"). Off while neither
  // LEGACY_API_URL, ROUTES_FILE nor DATABASE_URL is set: every request is then served by the services.

  /** The legacy monolith's base URL (http(s)://host:port[/path]); routes with target legacy are proxied there. */
  @IsOptional() @Matches(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, { message: 'LEGACY_API_URL must be an http:// or https:// URL without query or fragment' })
  LEGACY_API_URL?: string;

  /** YAML file seeding an empty route table (`routes: [{prefix, target, rolloutPercent?, shadow?, ignorePaths?}]`) instead of the defaults. */
  @IsOptional() @IsString() @IsNotEmpty() ROUTES_FILE?: string;

  /** The gateway's own PostgreSQL (route table and its audit); required when LEGACY_API_URL or ROUTES_FILE is set. */
  @ValidateIf((e: GatewayEnv) => e.DATABASE_URL !== undefined || e.LEGACY_API_URL !== undefined || e.ROUTES_FILE !== undefined)
  @IsString({ message: 'DATABASE_URL is required when LEGACY_API_URL or ROUTES_FILE is set (the route table lives there)' })
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgres:// or postgresql:// URL' })
  DATABASE_URL?: string;

  /** Connections of the route-table pool per replica (requests never wait on it: the table is cached). */
  @Type(() => Number) @IsInt() @Min(2) @Max(100) DATABASE_POOL_SIZE = 4;

  /** Longest wait for a database connection, so an admin change with PostgreSQL down fails fast (503). */
  @Type(() => Number) @IsInt() @Min(50) @Max(60_000) DATABASE_CONNECT_TIMEOUT_MS = 500;

  /** Broker of the route table's outbox (api-gateway.route.changed); required with DATABASE_URL. */
  @ValidateIf((e: GatewayEnv) => e.DATABASE_URL !== undefined || e.RABBITMQ_URL !== undefined)
  @IsString({ message: 'RABBITMQ_URL is required with DATABASE_URL (route changes are published as events)' })
  @Matches(/^amqps?:\/\/\S+$/, { message: 'RABBITMQ_URL must be an amqp:// or amqps:// URL' })
  RABBITMQ_URL?: string;

  /** Longest wait for the monolith's response headers, and between two body chunks; beyond: 504. */
  @Type(() => Number) @IsInt() @Min(100) @Max(600_000) LEGACY_TIMEOUT_MS = 10_000;

  /** Longest wait for a TCP connection to the monolith; beyond: 503 UPSTREAM_UNAVAILABLE. */
  @Type(() => Number) @IsInt() @Min(50) @Max(60_000) LEGACY_CONNECT_TIMEOUT_MS = 2_000;

  /** Optional HMAC-SHA256 key (>= 32 characters) signing the identity headers sent to the monolith (X-Aether-Signature). */
  @IsOptional() @IsString() @MinLength(32, { message: 'LEGACY_IDENTITY_SECRET must be at least 32 characters' })
  LEGACY_IDENTITY_SECRET?: string;

  /** Longest a shadow call may take before it is abandoned (never delays the client's answer). */
  @Type(() => Number) @IsInt() @Min(50) @Max(120_000) SHADOW_TIMEOUT_MS = 2_000;

  /** Shadow comparisons in flight per replica; requests beyond it are not shadowed (counted as skipped). */
  @Type(() => Number) @IsInt() @Min(1) @Max(1000) SHADOW_MAX_CONCURRENCY = 16;

  /** Largest answer body compared by the shadow (larger ones compare status and content type only). */
  @Type(() => Number) @IsInt() @Min(1024) @Max(16 * 1024 * 1024) SHADOW_MAX_BODY_BYTES = 262_144;

  /** Safety-net reload of the route table (LISTEN/NOTIFY applies changes at once). */
  @Type(() => Number) @IsInt() @Min(100) @Max(600_000) ROUTES_RELOAD_INTERVAL_MS = 5_000;
}
