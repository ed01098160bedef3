import type { BaseEnv } from '@aether/service-kit';
import { IsString, Matches, MinLength, ValidateIf } from 'class-validator';

type EnvClass = new (...args: any[]) => BaseEnv;

/** Variables ServiceCredentialsModule reads, declared by `ServiceCredentialsEnv`. */
export interface ServiceCredentialsVariables {
  NODE_ENV: string;
  SERVICE_CLIENT_SECRET?: string;
}

/**
 * Adds what a service needs to get its own (client-credentials) token to its env class:
 * SECURITY_GRPC_URL (services.yaml `calls: [security]`) and SERVICE_CLIENT_SECRET, the secret
 * security holds for this client in SERVICE_CLIENT_SECRETS. Required in production (≥ 32
 * characters); elsewhere unset means no service token (calls needing one fail with 401).
 */
export function ServiceCredentialsEnv<TBase extends EnvClass>(Base: TBase) {
  class WithServiceCredentialsEnv extends Base {
    /** host:port of the security service's gRPC API. */
    @IsString() @Matches(/^\S+:\d+$/, { message: 'SECURITY_GRPC_URL must be host:port' })
    SECURITY_GRPC_URL!: string;

    /**
     * This service's client secret for security's IssueServiceToken (the value security lists for it in
     * SERVICE_CLIENT_SECRETS). Required in production, at least 32 characters; development default in the dev runner only.
     */
    @ValidateIf((e: WithServiceCredentialsEnv) => e.NODE_ENV === 'production' || e.SERVICE_CLIENT_SECRET !== undefined)
    @IsString({ message: 'SERVICE_CLIENT_SECRET is required in production (the secret security lists for this service in SERVICE_CLIENT_SECRETS)' })
    @MinLength(32, { message: 'SERVICE_CLIENT_SECRET must be at least 32 characters' })
    SERVICE_CLIENT_SECRET?: string;
  }
  return WithServiceCredentialsEnv;
}

