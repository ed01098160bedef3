import { defineService, RedisReadiness } from '@aether/service-kit';
import { ApiGatewayModule } from './api-gateway.module';
import { GatewayEnv } from './config/gateway.env';
import { gatewayFastifyOptions } from './gateway-options';
import { configureGatewayHttp } from './http/configure-http';

/** The api-gateway: the public REST API (HTTP only; it calls the services over gRPC). */
export const apiGatewayService = defineService({
  name: 'api-gateway',
  env: GatewayEnv,
  module: ApiGatewayModule,
  grpc: false,
  // The gateway's own Redis only: it stays ready while an upstream service is down (those
  // requests answer 503 UPSTREAM_UNAVAILABLE instead).
  readiness: [RedisReadiness],
  fastify: (env) => gatewayFastifyOptions({ BODY_LIMIT_BYTES: String(env.BODY_LIMIT_BYTES), TRUST_PROXY: env.TRUST_PROXY }),
  configureHttp: configureGatewayHttp,
});
