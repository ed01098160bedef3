import type { BaseEnv } from '@aether/service-kit';
import { IsNotEmpty, IsString, Matches } from 'class-validator';
import { DEFAULT_AUTH_AUDIENCE, DEFAULT_AUTH_ISSUER } from './auth.options';

type EnvClass = new (...args: any[]) => BaseEnv;

/**
 * Adds the variables `AuthModule.forRoot()` reads to a service's env class, with their
 * validation, so a missing or bad one stops the start (exit 78) naming it:
 * `export class TaskManagerEnv extends AuthEnv(BaseEnv) { … }` (mixins compose:
 * `AuthEnv(MessagingEnv(BaseEnv))`). A subclass may give AUTH_JWKS_URL a default.
 */
export function AuthEnv<TBase extends EnvClass>(Base: TBase) {
  class WithAuthEnv extends Base {
    /** Where the access-token keys are published: http://<security>:9101/.well-known/jwks.json. */
    @IsString() @Matches(/^https?:\/\/\S+$/, { message: 'AUTH_JWKS_URL must be an http(s) URL' })
    AUTH_JWKS_URL!: string;

    /** Expected `iss` of access tokens. */
    @IsString() @IsNotEmpty()
    AUTH_ISSUER = DEFAULT_AUTH_ISSUER;

    /** Expected `aud` of access tokens. */
    @IsString() @IsNotEmpty()
    AUTH_AUDIENCE = DEFAULT_AUTH_AUDIENCE;
  }
  return WithAuthEnv;
}
