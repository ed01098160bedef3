import { Module } from '@nestjs/common';
import { GrpcClientsModule } from '@aether/service-kit';
import { AiAdminController } from './ai-admin.controller';
import { OpenAiController } from './openai.controller';

/** /v1/* (OpenAI-compatible) and /api/v1/ai/* → the ai-gateway service (AI_GATEWAY_GRPC_URL). */
@Module({
  imports: [GrpcClientsModule.register(['ai-gateway'])],
  controllers: [OpenAiController, AiAdminController],
})
export class AiRoutesModule {}
