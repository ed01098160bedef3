import { ServiceCredentialsEnv } from '@aether/auth';
import type { BaseEnv } from '@aether/service-kit';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

type EnvClass = new (...args: any[]) => BaseEnv;

/**
 * Variables of pull-request reviews, added to code-assistant's env class: integration-hub (GitHub
 * on behalf of a connection), the service's own credentials (SECURITY_GRPC_URL,
 * SERVICE_CLIENT_SECRET: no user is behind a webhook) and the review's caps.
 */
export function PullRequestReviewEnv<TBase extends EnvClass>(Base: TBase) {
  class WithPullRequestReviewEnv extends ServiceCredentialsEnv(Base) {
    /** host:port of the security service's gRPC API (code-assistant's service token). */
    override SECURITY_GRPC_URL = '127.0.0.1:50051';

    /** host:port of integration-hub's gRPC API (GitHub calls with the connection's token). */
    @IsString() @Matches(/^\S+:\d+$/, { message: 'INTEGRATION_HUB_GRPC_URL must be host:port' })
    INTEGRATION_HUB_GRPC_URL = '127.0.0.1:50056';

    /** Most inline comments one pull-request review posts; further findings are listed in its body. */
    @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(100)
    PR_REVIEW_MAX_COMMENTS = 20;

    /** Most changed files one pull-request review reads; the rest are listed as not reviewed. */
    @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100)
    PR_REVIEW_MAX_FILES = 100;

    /** Largest file (bytes) a pull-request review reads; larger ones are listed as not reviewed. */
    @IsOptional() @Type(() => Number) @IsInt() @Min(1024) @Max(10 * 1024 * 1024)
    PR_REVIEW_MAX_FILE_BYTES = 1024 * 1024;

    /** Ask the model too in pull-request reviews (false: analyzer findings only). */
    @IsOptional() @Transform(({ value }) => (value === undefined || value === '' ? true : value === true || value === 'true' || value === '1')) @IsBoolean()
    PR_REVIEW_LLM = true;
  }
  return WithPullRequestReviewEnv;
}
