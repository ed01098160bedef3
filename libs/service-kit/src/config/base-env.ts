import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';

/** Environment every service understands. Apps extend it with their own variables. */
export class BaseEnv {
  /** `production`, `development` or `test` (development and test allow an ephemeral signing key). */
  @IsIn(['production', 'development', 'test'])
  NODE_ENV: 'production' | 'development' | 'test' = 'production';

  /** pino level: `fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`. */
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /** Management HTTP port (/healthz, /readyz, /metrics); the gateway's public port. */
  @Type(() => Number) @IsInt() @Min(0) @Max(65535)
  HTTP_PORT = 8080;

  /** gRPC port (the app's API, health and reflection). */
  @Type(() => Number) @IsInt() @Min(0) @Max(65535)
  GRPC_PORT = 50051;

  /** Address the servers bind to. */
  @IsString()
  BIND_HOST = '0.0.0.0';

  /** Default deadline of every outgoing gRPC call. */
  @Type(() => Number) @IsInt() @Min(50) @Max(60000)
  GRPC_DEADLINE_MS = 1000;

  /** How long shutdown waits for in-flight work before closing connections. */
  @Type(() => Number) @IsInt() @Min(0) @Max(120000)
  SHUTDOWN_GRACE_MS = 10000;

  /** Time /readyz reports 503 before the servers stop accepting (lets load balancers drain). */
  @Type(() => Number) @IsInt() @Min(0) @Max(60000)
  SHUTDOWN_DRAIN_DELAY_MS = 0;

  /**
   * How often (ms) the process checks whether it went idle after start-up or a burst of load, to
   * give memory back by collecting garbage and trimming the C heap (see memory/idle-gc.ts); 0 = never.
   */
  @Type(() => Number) @IsInt() @Min(0) @Max(600000)
  IDLE_GC_INTERVAL_MS = 1000;

  /** Version reported in logs and traces (the image sets it). */
  @IsOptional() @IsString()
  SERVICE_VERSION?: string;
}
