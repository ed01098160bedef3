import { Module } from '@nestjs/common';
import { GrpcClientsModule } from '@aether/service-kit';
import { RagController } from './rag.controller';

/** /api/v1/rag → rag (RAG_GRPC_URL). Document uploads are parsed by document-upload.ts (installed in configure-http). */
@Module({
  imports: [GrpcClientsModule.register(['rag'])],
  controllers: [RagController],
})
export class RagRoutesModule {}
