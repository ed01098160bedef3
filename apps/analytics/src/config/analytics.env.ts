import { AuthEnv } from '@aether/auth';
import { MessagingEnv } from '@aether/messaging';
import { BaseEnv } from '@aether/service-kit';
import { Type } from 'class-transformer';
import { IsInt, IsNotEmpty, IsOptional, IsString, Max, Min } from 'class-validator';

/**
 * Environment of the analytics service, validated at start-up by the service kit; RABBITMQ_URL
 * (MessagingEnv) and AUTH_JWKS_URL / AUTH_ISSUER / AUTH_AUDIENCE (AuthEnv) come with the mixins.
 */
export class AnalyticsEnv extends AuthEnv(MessagingEnv(BaseEnv)) {
  GRPC_PORT = 50053;
  HTTP_PORT = 9103;

  /** mongodb://host:27017/analytics (real MongoDB in production, FerretDB in dev/CI). */
  @IsString() @IsNotEmpty() MONGODB_URL!: string;
  /**
   * Most connections to MongoDB (the driver's default is 100: under load every concurrent query
   * opened its own, and each kept its socket and read buffers for the life of the process).
   */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100) MONGODB_POOL_SIZE = 10;
  /** A pooled connection unused this long is closed (the pool shrinks back after a burst). */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1000) @Max(3_600_000) MONGODB_MAX_IDLE_MS = 30_000;

  /** Stored events and task facts older than this are deleted. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(3650) ANALYTICS_RETENTION_DAYS = 30;
  /** How often the retention delete runs (it also runs once at start-up). */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1000) ANALYTICS_RETENTION_SWEEP_MS = 3_600_000;
  /**
   * Pause between compaction passes, which fold newly stored events into the rollups the queries
   * read (one replica at a time, under a lease); 0 = this replica never compacts.
   */
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(3_600_000) ANALYTICS_COMPACTION_INTERVAL_MS = 1000;
  /**
   * Events stored before the ingest journal existed (an upgrade) are brought into the rollups by
   * compaction, this many per pass (each pass scans `events` once on FerretDB).
   */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(50_000) ANALYTICS_BACKFILL_BATCH = 50_000;

  /** Unacknowledged deliveries in flight; the writer batches them, so keep it >= the batch size. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(10_000) ANALYTICS_PREFETCH = 5000;
  /** Most events written in one round trip. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(10_000) ANALYTICS_BATCH_SIZE = 2000;
  /** How long the first event of a batch waits for company before the batch is written. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(1000) ANALYTICS_BATCH_LINGER_MS = 5;
}
