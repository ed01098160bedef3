import { AuthEnv } from '@aether/auth';
import { BaseEnv, PostgresEnv } from '@aether/service-kit';

/**
 * Environment of the code-assistant service, validated at start-up by the service kit (a missing or
 * bad variable stops the process naming it); DATABASE_URL comes with PostgresEnv,
 * AUTH_JWKS_URL / AUTH_ISSUER / AUTH_AUDIENCE with AuthEnv. Describe every variable you add
 * in a doc comment: README's configuration table is generated from them (npm run env-docs:gen).
 */
export class CodeAssistantEnv extends PostgresEnv(AuthEnv(BaseEnv)) {
  GRPC_PORT = 50055;
  HTTP_PORT = 9105;
}
