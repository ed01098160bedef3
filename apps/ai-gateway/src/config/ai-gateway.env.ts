import { AuthEnv } from '@aether/auth';
import { MessagingEnv } from '@aether/messaging';
import { BaseEnv } from '@aether/service-kit';
import { Type } from 'class-transformer';
import { IsInt, IsNotEmpty, IsString, Max, Min, Validate, ValidatorConstraint, type ValidationArguments, type ValidatorConstraintInterface } from 'class-validator';
import { type GatewayConfig, loadGatewayConfig } from './gateway-config';

/** The configuration each validated env read, so the file is parsed once per start. */
const validatedConfigs = new WeakMap<object, GatewayConfig>();

/**
 * The operator configuration is part of the environment's validation: a bad file stops the
 * process before Nest starts (exit 78, naming each bad key), so no half-started app is left.
 */
@ValidatorConstraint({ name: 'gatewayConfigFile' })
class GatewayConfigFile implements ValidatorConstraintInterface {
  validate(file: unknown, args: ValidationArguments): boolean {
    if (typeof file !== 'string' || !file) return true; // @IsString/@IsNotEmpty report it
    try {
      validatedConfigs.set(args.object, loadGatewayConfig(file));
      return true;
    } catch {
      return false;
    }
  }

  defaultMessage(args: ValidationArguments): string {
    try {
      loadGatewayConfig(String(args.value));
      return 'is not a valid configuration';
    } catch (err) {
      return (err as Error).message;
    }
  }
}

/**
 * Environment of the ai-gateway service, validated at start-up by the service kit (a missing or
 * bad variable stops the process naming it): RABBITMQ_URL with MessagingEnv, AUTH_JWKS_URL /
 * AUTH_ISSUER / AUTH_AUDIENCE with AuthEnv. Providers, models, aliases, limits and the cache TTL
 * come from the YAML file AI_GATEWAY_CONFIG names (see README.md); provider keys from the
 * variables that file names.
 */
export class AiGatewayEnv extends AuthEnv(MessagingEnv(BaseEnv)) {
  GRPC_PORT = 50054;
  HTTP_PORT = 9104;

  /** Path of the operator configuration (YAML: providers, models, aliases, limits, cache). */
  @IsString() @IsNotEmpty() @Validate(GatewayConfigFile) AI_GATEWAY_CONFIG = 'apps/ai-gateway/config/default.yaml';

  /** Breaker state, budgets and rate-limit counters, response cache, usage rollups. */
  @IsString() @IsNotEmpty() REDIS_URL = 'redis://127.0.0.1:6379';

  /** Prefix of every Redis key ai-gateway writes (lets tests and several stacks share a server). */
  @IsString() REDIS_KEY_PREFIX = 'aether:ai:';

  /** Longest wait for a TCP (and TLS) connection to a provider; beyond it the next target is tried. */
  @Type(() => Number) @IsInt() @Min(10) @Max(60_000) AI_CONNECT_TIMEOUT_MS = 3_000;

  /** Longest wait for the first token (streams) or the answer's headers (non-streamed calls). */
  @Type(() => Number) @IsInt() @Min(10) @Max(600_000) AI_FIRST_TOKEN_TIMEOUT_MS = 30_000;

  /** Longest one provider call may take end to end (a provider's `timeoutMs` overrides it). */
  @Type(() => Number) @IsInt() @Min(10) @Max(3_600_000) AI_TOTAL_TIMEOUT_MS = 120_000;

  /** Longest silence between two chunks of a stream once it has started; beyond it the stream fails. */
  @Type(() => Number) @IsInt() @Min(10) @Max(600_000) AI_STREAM_IDLE_TIMEOUT_MS = 30_000;

  /** While a stream's provider is silent this long, a keep-alive goes to the client (SSE comment). */
  @Type(() => Number) @IsInt() @Min(10) @Max(600_000) AI_KEEPALIVE_INTERVAL_MS = 10_000;

  /** Retries of one deployment on 429/5xx/timeouts/connection errors before falling back. */
  @Type(() => Number) @IsInt() @Min(0) @Max(10) AI_MAX_RETRIES = 1;

  /** First backoff between retries (doubles, with jitter); a provider's Retry-After wins when longer. */
  @Type(() => Number) @IsInt() @Min(0) @Max(60_000) AI_RETRY_BASE_DELAY_MS = 200;

  /** A Retry-After longer than this is not waited for: the next target is tried at once. */
  @Type(() => Number) @IsInt() @Min(0) @Max(600_000) AI_MAX_RETRY_WAIT_MS = 2_000;

  /** Failures (429/5xx/timeouts/connection errors) within AI_BREAKER_WINDOW_MS that open a deployment's breaker. */
  @Type(() => Number) @IsInt() @Min(1) @Max(1000) AI_BREAKER_FAILURE_THRESHOLD = 5;

  /** Window in which AI_BREAKER_FAILURE_THRESHOLD failures are counted. */
  @Type(() => Number) @IsInt() @Min(100) @Max(3_600_000) AI_BREAKER_WINDOW_MS = 30_000;

  /** How long an open breaker skips its deployment before one half-open probe is let through. */
  @Type(() => Number) @IsInt() @Min(10) @Max(3_600_000) AI_BREAKER_OPEN_MS = 30_000;
}

/** The operator configuration of a validated env (read from AI_GATEWAY_CONFIG only if it was never validated). */
export function gatewayConfigOf(env: AiGatewayEnv): GatewayConfig {
  return validatedConfigs.get(env) ?? loadGatewayConfig(env.AI_GATEWAY_CONFIG);
}
