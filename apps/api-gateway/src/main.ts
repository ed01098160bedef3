import { bootstrapService } from '@aether/service-kit';
import { AppModule } from './app.module';
import { parseTrustProxy } from './config/trust-proxy';
import { configureGatewayHttp } from './http/configure-http';

// Fastify options are needed before the env is validated; GatewayEnv re-checks both variables.
void bootstrapService({
  name: 'api-gateway',
  module: AppModule,
  fastify: {
    bodyLimit: Number(process.env.BODY_LIMIT_BYTES || 1_048_576),
    trustProxy: parseTrustProxy(process.env.TRUST_PROXY),
  },
  configureHttp: configureGatewayHttp,
});
