import { AuthEnv } from '@aether/auth';
import { BaseEnv } from '@aether/service-kit';

/**
 * Environment of the ai-gateway service, validated at start-up by the service kit (a missing or
 * bad variable stops the process naming it),
 * AUTH_JWKS_URL / AUTH_ISSUER / AUTH_AUDIENCE with AuthEnv. Describe every variable you add
 * in a doc comment: README's configuration table is generated from them (npm run env-docs:gen).
 */
export class AiGatewayEnv extends AuthEnv(BaseEnv) {
  GRPC_PORT = 50054;
  HTTP_PORT = 9104;
}
