import { MessagingEnv } from '@aether/messaging';
import { BaseEnv, PostgresEnv } from '@aether/service-kit';
import { Type } from 'class-transformer';
import { IsEmail, IsInt, IsNotEmpty, IsOptional, IsString, Max, Min, MinLength, ValidateBy, ValidateIf } from 'class-validator';
import { parseServiceClients } from '../service-clients/service-clients';

/**
 * Environment of the security service, validated at start-up by the service kit (RABBITMQ_URL
 * comes with MessagingEnv, DATABASE_URL with PostgresEnv). It signs the tokens, so it declares
 * AUTH_ISSUER / AUTH_AUDIENCE itself and needs no AUTH_JWKS_URL.
 */
export class SecurityEnv extends PostgresEnv(MessagingEnv(BaseEnv)) {
  GRPC_PORT = 50051;
  HTTP_PORT = 9101;


  /**
   * PEM (PKCS#8, EC P-256) that signs access tokens; `\n` escapes are accepted. Required in
   * production (or JWT_PRIVATE_KEY_FILE); development and test generate an ephemeral key.
   */
  @ValidateIf((e: SecurityEnv) => e.NODE_ENV === 'production' && !e.JWT_PRIVATE_KEY_FILE)
  @IsString({ message: 'JWT_PRIVATE_KEY (or JWT_PRIVATE_KEY_FILE) is required in production' })
  JWT_PRIVATE_KEY?: string;

  /** File holding the signing key instead of JWT_PRIVATE_KEY (a mounted Secret). */
  @IsOptional() @IsString() @IsNotEmpty() JWT_PRIVATE_KEY_FILE?: string;

  /** `iss` of the access tokens it signs. */
  @IsOptional() @IsString() @IsNotEmpty() AUTH_ISSUER = 'aether-security';
  /** `aud` of the access tokens it signs. */
  @IsOptional() @IsString() @IsNotEmpty() AUTH_AUDIENCE = 'aether';

  /** Access token lifetime. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(60) @Max(86_400) ACCESS_TOKEN_TTL_SECONDS = 900;
  /** Refresh token lifetime (restarts on each rotation). */
  @IsOptional() @Type(() => Number) @IsInt() @Min(300) REFRESH_TOKEN_TTL_SECONDS = 2_592_000;
  /** Lifetime of the token an API key is exchanged for. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(30) @Max(3600) API_KEY_TOKEN_TTL_SECONDS = 300;
  /**
   * Seconds after a rotation in which the spent refresh token still answers with the pair it was
   * rotated into (parallel refreshes from two tabs), instead of counting as reuse. 0 disables it.
   */
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(60) REFRESH_REUSE_INTERVAL_SECONDS = 5;

  /** Failures per account and client IP (IPv6: per /64) that lock that pair. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) LOGIN_MAX_FAILURES = 5;
  /** Failures per account from all clients that lock the account for everyone (distributed guessing). */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) LOGIN_ACCOUNT_MAX_FAILURES = 50;
  /** Window in which login failures are counted. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) LOGIN_FAILURE_WINDOW_SECONDS = 900;
  /** How long a lockout lasts (logins get 429 meanwhile). */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) LOGIN_LOCKOUT_SECONDS = 900;

  /** Lifetime of a service token (client credentials); callers renew it before it ends. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(60) @Max(3600) SERVICE_TOKEN_TTL_SECONDS = 600;

  /**
   * The service clients that may obtain service tokens (IssueServiceToken), comma-separated
   * `<client>=<secret>`: each client a service name security knows (SERVICE_CLIENT_PERMISSIONS
   * fixes its permissions), each secret ≥ 32 characters and equal to that service's
   * SERVICE_CLIENT_SECRET. Empty: no service tokens are issued.
   */
  @IsOptional()
  @ValidateBy({
    name: 'serviceClients',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && parseServiceClients(value).problems.length === 0,
      // Names the problems, never a secret.
      defaultMessage: (args) => `SERVICE_CLIENT_SECRETS: ${parseServiceClients(String(args?.value ?? '')).problems.join('; ') || 'must be text'}`,
    },
  })
  SERVICE_CLIENT_SECRETS = '';

  /** First administrator, created at start-up when both are set and the email is not taken. */
  @ValidateIf((e: SecurityEnv) => !!e.ADMIN_PASSWORD || !!e.ADMIN_EMAIL)
  @IsEmail({}, { message: 'ADMIN_EMAIL must be an email address when ADMIN_PASSWORD is set' })
  ADMIN_EMAIL?: string;

  /** Password of that administrator (at least 10 characters; development default in the dev runner only). */
  @ValidateIf((e: SecurityEnv) => !!e.ADMIN_EMAIL || !!e.ADMIN_PASSWORD)
  @IsString()
  @MinLength(10, { message: 'ADMIN_PASSWORD must be at least 10 characters when ADMIN_EMAIL is set' })
  ADMIN_PASSWORD?: string;
}
