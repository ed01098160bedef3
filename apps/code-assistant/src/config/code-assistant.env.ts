import { AuthEnv } from '@aether/auth';
import { MessagingEnv } from '@aether/messaging';
import { BaseEnv, PostgresEnv } from '@aether/service-kit';
import { Type } from 'class-transformer';
import { IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { AnalysisEnv } from '../analysis/analysis.env';
import { PullRequestReviewEnv } from '../pull-requests/pull-request-review.env';

const MODEL_ID = /^([A-Za-z0-9._:-]+(\/[A-Za-z0-9._:/-]+)?)?$/;

/**
 * Environment of the code-assistant service, validated at start-up by the service kit (a missing or
 * bad variable stops the process naming it); DATABASE_URL comes with PostgresEnv, RABBITMQ_URL with
 * MessagingEnv, AUTH_JWKS_URL / AUTH_ISSUER / AUTH_AUDIENCE with AuthEnv, the analyzers' bounds (ANALYSIS_*) with AnalysisEnv. Describe every variable you add
 * in a doc comment: README's configuration table is generated from them (npm run env-docs:gen).
 */
export class CodeAssistantEnv extends PullRequestReviewEnv(AnalysisEnv(PostgresEnv(AuthEnv(MessagingEnv(BaseEnv))))) {
  GRPC_PORT = 50055;
  HTTP_PORT = 9105;

  /** host:port of ai-gateway's gRPC API (the model of reviews, refactors, tests and explanations). */
  @IsString() @IsNotEmpty() AI_GATEWAY_GRPC_URL = '127.0.0.1:50054';

  /** ai-gateway model or alias code-assistant asks; empty = no model (reviews answer from the analyzers, assists 503). */
  @IsOptional() @IsString() @Matches(MODEL_ID, { message: 'CODE_ASSISTANT_MODEL must be a model id or alias (or empty)' })
  CODE_ASSISTANT_MODEL = 'smart';

  /** Longest one model call may take (ms); a review past it answers from the analyzers. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1000) @Max(600_000) CODE_ASSISTANT_MODEL_TIMEOUT_MS = 120_000;
}
