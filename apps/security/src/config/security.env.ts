import { BaseEnv } from '@aether/service-kit';
import { Type } from 'class-transformer';
import { IsEmail, IsInt, IsNotEmpty, IsOptional, IsString, Max, Min, MinLength, ValidateIf } from 'class-validator';

/** Environment of the security service, validated at start-up by the service kit. */
export class SecurityEnv extends BaseEnv {
  GRPC_PORT = 50051;
  HTTP_PORT = 9101;

  @IsString() @IsNotEmpty() DATABASE_URL!: string;
  @IsString() @IsNotEmpty() RABBITMQ_URL!: string;

  /** PEM (PKCS#8, EC P-256) that signs access tokens; `\n` escapes are accepted. */
  @ValidateIf((e: SecurityEnv) => e.NODE_ENV === 'production' && !e.JWT_PRIVATE_KEY_FILE)
  @IsString({ message: 'JWT_PRIVATE_KEY (or JWT_PRIVATE_KEY_FILE) is required in production' })
  JWT_PRIVATE_KEY?: string;

  @IsOptional() @IsString() @IsNotEmpty() JWT_PRIVATE_KEY_FILE?: string;

  @IsOptional() @IsString() @IsNotEmpty() AUTH_ISSUER = 'aether-security';
  @IsOptional() @IsString() @IsNotEmpty() AUTH_AUDIENCE = 'aether';

  @IsOptional() @Type(() => Number) @IsInt() @Min(60) @Max(86_400) ACCESS_TOKEN_TTL_SECONDS = 900;
  @IsOptional() @Type(() => Number) @IsInt() @Min(300) REFRESH_TOKEN_TTL_SECONDS = 2_592_000;
  @IsOptional() @Type(() => Number) @IsInt() @Min(30) @Max(3600) API_KEY_TOKEN_TTL_SECONDS = 300;

  @IsOptional() @Type(() => Number) @IsInt() @Min(1) LOGIN_MAX_FAILURES = 5;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) LOGIN_FAILURE_WINDOW_SECONDS = 900;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) LOGIN_LOCKOUT_SECONDS = 900;

  /** First administrator, created at start-up when both are set and the email is not taken. */
  @ValidateIf((e: SecurityEnv) => !!e.ADMIN_PASSWORD || !!e.ADMIN_EMAIL)
  @IsEmail({}, { message: 'ADMIN_EMAIL must be an email address when ADMIN_PASSWORD is set' })
  ADMIN_EMAIL?: string;

  @ValidateIf((e: SecurityEnv) => !!e.ADMIN_EMAIL || !!e.ADMIN_PASSWORD)
  @IsString()
  @MinLength(10, { message: 'ADMIN_PASSWORD must be at least 10 characters when ADMIN_EMAIL is set' })
  ADMIN_PASSWORD?: string;
}
