import { Module } from '@nestjs/common';
import { GrpcClientsModule } from '@aether/service-kit';
import { ModelClient } from './model-client';

/** The model, through ai-gateway's gRPC API (AI_GATEWAY_GRPC_URL). */
@Module({
  imports: [GrpcClientsModule.register(['ai-gateway'])],
  providers: [ModelClient],
  exports: [ModelClient],
})
export class LlmModule {}
