import { AuthEnv } from '@aether/auth';
import { MessagingEnv } from '@aether/messaging';
import { BaseEnv, PostgresEnv } from '@aether/service-kit';
import { Transform, Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

const KEY_RING = /^[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/]{43}=(\s*,\s*[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/]{43}=)*$/;
const MS_LIST = /^\d{1,9}(\s*,\s*\d{1,9})*$/;

/**
 * Environment of the integration-hub service, validated at start-up by the service kit (a missing
 * or bad variable stops the process naming it, never showing its value); DATABASE_URL comes with
 * PostgresEnv, RABBITMQ_URL with MessagingEnv, AUTH_JWKS_URL / AUTH_ISSUER / AUTH_AUDIENCE with AuthEnv.
 */
export class IntegrationHubEnv extends PostgresEnv(AuthEnv(MessagingEnv(BaseEnv))) {
  GRPC_PORT = 50056;
  HTTP_PORT = 9106;

  /**
   * Keys that encrypt connection secrets at rest (AES-256-GCM): comma-separated `<keyId>:<base64 of
   * 32 random bytes>` (`openssl rand -base64 32`). The first encrypts; the others still decrypt, and
   * rows under them are re-encrypted with the first in the background (key rotation).
   */
  @IsString({ message: 'INTEGRATION_HUB_SECRET_KEYS is required: <keyId>:<base64 of 32 bytes>[,...]' })
  @Matches(KEY_RING, { message: 'INTEGRATION_HUB_SECRET_KEYS must be comma-separated <keyId>:<base64 of 32 bytes>' })
  INTEGRATION_HUB_SECRET_KEYS!: string;

  /**
   * Hosts (names or IP addresses, comma-separated) that outbound deliveries may reach although
   * they resolve to private, loopback or link-local addresses. Empty: only public addresses.
   */
  @IsOptional() @IsString() OUTBOUND_ALLOWED_HOSTS = '';

  /** Longest an outbound call may take (connect, headers and body); beyond, the attempt fails and is retried. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(100) @Max(120_000) DELIVERY_TIMEOUT_MS = 10_000;

  /** Bytes of a target's answer read at most (the rest is dropped; only an excerpt is kept). */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1024) @Max(16 * 1024 * 1024) DELIVERY_MAX_RESPONSE_BYTES = 65_536;

  /** Attempts per delivery (and per replay) before it is dead. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(50) DELIVERY_MAX_ATTEMPTS = 8;

  /** Waits between attempts, comma-separated milliseconds (the last repeats), each with ±20% jitter; Retry-After wins when longer. */
  @IsOptional() @Matches(MS_LIST, { message: 'DELIVERY_RETRY_DELAYS_MS must be comma-separated milliseconds' })
  DELIVERY_RETRY_DELAYS_MS = '5000,30000,120000,600000,1800000,3600000,7200000';

  /** Longest wait a Retry-After (or rate-limit reset) header can impose on the next attempt. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(86_400) DELIVERY_MAX_RETRY_AFTER_SECONDS = 3600;

  /** Deliveries in flight at once per connection (one slow endpoint holds only its own slots). */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100) DELIVERY_CONCURRENCY_PER_CONNECTION = 4;

  /** Deliveries in flight at once in this replica, over all connections. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) DELIVERY_CONCURRENCY = 32;

  /** Consecutive failed attempts that open a connection's circuit (its deliveries then wait, spending no attempts). */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) DELIVERY_BREAKER_THRESHOLD = 5;

  /** How long an open circuit waits before one probe attempt. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(100) @Max(3_600_000) DELIVERY_BREAKER_COOLDOWN_MS = 30_000;

  /** How often the delivery worker looks for due deliveries (new ones wake it at once in this replica). */
  @IsOptional() @Type(() => Number) @IsInt() @Min(10) @Max(60_000) DELIVERY_POLL_INTERVAL_MS = 500;

  /** Runs the delivery worker in this process (every replica may; they share work safely). */
  @IsOptional() @Transform(({ value }) => value === true || value === 'true' || value === '1') DELIVERY_WORKER_ENABLED: boolean = true;

  /** Longest one GitHub API call may take (pull-request files, reviews); GETs are retried twice on timeouts and 5xx. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(100) @Max(120_000) GITHUB_TIMEOUT_MS = 15_000;

  /** Largest GitHub API answer read (a page of pull-request files with their patches); a larger one is an error, never cut. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(65_536) @Max(64 * 1024 * 1024) GITHUB_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

  /** Slack's replay window: a request whose X-Slack-Request-Timestamp is further from now is refused (also Discord's timestamp). */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(3600) WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS = 300;

  /** How long webhook delivery ids are remembered for de-duplication. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(365) WEBHOOK_RECEIPT_RETENTION_DAYS = 30;
}
