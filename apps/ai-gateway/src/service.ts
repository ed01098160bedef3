import { AmqpReadiness } from '@aether/messaging';
import { defineService, RedisReadiness } from '@aether/service-kit';
import { AiGatewayEnv } from './config/ai-gateway.env';
import { AiGatewayModule } from './ai-gateway.module';

/**
 * ai-gateway: one OpenAI-compatible API over many LLM providers (OpenAI-compatible and
 * Anthropic), with aliases and fallbacks, shared circuit breakers, a response cache, budgets
 * and rate limits in Redis, and one usage event per request.
 */
export const aiGatewayService = defineService({
  name: 'ai-gateway',
  env: AiGatewayEnv,
  module: AiGatewayModule,
  grpc: true,
  readiness: [RedisReadiness, AmqpReadiness],
});
