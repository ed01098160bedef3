import { Module } from '@nestjs/common';
import { AuthModule } from '@aether/auth';
import { EventPublisher, MessagingModule } from '@aether/messaging';
import { ResponseCache } from './cache/response-cache';
import { AiGatewayGrpcController } from './completions/ai-gateway.grpc.controller';
import { CompletionsService } from './completions/completions.service';
import { AiGatewayEnv, gatewayConfigOf } from './config/ai-gateway.env';
import type { GatewayConfig } from './config/gateway-config';
import { GATEWAY_CONFIG } from './config/tokens';
import { EmbeddingsService } from './embeddings/embeddings.service';
import { Budgets } from './limits/budgets';
import { LimitPolicy } from './limits/limit-policy';
import { ModelsService } from './models/models.service';
import { ProviderRegistry } from './providers/provider-registry';
import { RedisConnection } from './redis/redis.connection';
import { RedisModule } from './redis/redis.module';
import { CircuitBreakers } from './routing/circuit-breaker';
import { ModelRouter } from './routing/router';
import { UsageRecorder } from './usage/usage-recorder';

/** Everything ai-gateway runs; the kit adds itself around it (see service.ts). */
@Module({
  imports: [
    // Verifies the caller's token on every RPC (the kit installs the guard on the gRPC server).
    AuthModule.forRoot(),
    // RABBITMQ_URL: the completion/embedding usage events.
    MessagingModule.forRoot(),
    RedisModule,
  ],
  controllers: [AiGatewayGrpcController],
  providers: [
    // A bad file stops the start with a message naming the key (GatewayConfigError).
    { provide: GATEWAY_CONFIG, inject: [AiGatewayEnv], useFactory: gatewayConfigOf },
    {
      provide: ProviderRegistry,
      inject: [GATEWAY_CONFIG, AiGatewayEnv],
      // Provider keys are the one exception to "only the validated env": the configuration names
      // their variables, so no env class can declare them. They are read here once, never logged.
      useFactory: (config: GatewayConfig, env: AiGatewayEnv) => new ProviderRegistry(config, process.env, env.AI_CONNECT_TIMEOUT_MS),
    },
    {
      provide: CircuitBreakers,
      inject: [RedisConnection, AiGatewayEnv],
      useFactory: (c: RedisConnection, env: AiGatewayEnv) =>
        new CircuitBreakers(c.client, { failureThreshold: env.AI_BREAKER_FAILURE_THRESHOLD, windowMs: env.AI_BREAKER_WINDOW_MS, openMs: env.AI_BREAKER_OPEN_MS }),
    },
    {
      provide: ModelRouter,
      inject: [GATEWAY_CONFIG, ProviderRegistry, CircuitBreakers, AiGatewayEnv],
      useFactory: (config: GatewayConfig, registry: ProviderRegistry, breakers: CircuitBreakers, env: AiGatewayEnv) =>
        new ModelRouter(config, registry, breakers, {
          maxRetries: env.AI_MAX_RETRIES,
          retryBaseDelayMs: env.AI_RETRY_BASE_DELAY_MS,
          maxRetryWaitMs: env.AI_MAX_RETRY_WAIT_MS,
          firstTokenTimeoutMs: env.AI_FIRST_TOKEN_TIMEOUT_MS,
          streamIdleTimeoutMs: env.AI_STREAM_IDLE_TIMEOUT_MS,
          totalTimeoutMs: env.AI_TOTAL_TIMEOUT_MS,
        }),
    },
    { provide: ResponseCache, inject: [RedisConnection, GATEWAY_CONFIG], useFactory: (c: RedisConnection, config: GatewayConfig) => new ResponseCache(c.client, config.cache.ttlSeconds) },
    { provide: Budgets, inject: [RedisConnection], useFactory: (c: RedisConnection) => new Budgets(c.client) },
    { provide: UsageRecorder, inject: [RedisConnection, EventPublisher], useFactory: (c: RedisConnection, p: EventPublisher) => new UsageRecorder(c.client, p) },
    LimitPolicy,
    CompletionsService,
    EmbeddingsService,
    ModelsService,
  ],
})
export class AiGatewayModule {}
