import { AmqpReadiness } from '@aether/messaging';
import { defineService, TypeOrmReadiness } from '@aether/service-kit';
import { SecurityEnv } from './config/security.env';
import { SecurityModule } from './security.module';

/** The security service: users, sessions, API keys, roles, audit log, JWKS (gRPC). */
export const securityService = defineService({
  name: 'security',
  env: SecurityEnv,
  module: SecurityModule,
  grpc: true,
  readiness: [TypeOrmReadiness, AmqpReadiness],
});
