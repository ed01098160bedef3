import { Module } from '@nestjs/common';
import { AuthModule } from '@aether/auth';
import { MessagingModule, OutboxModule } from '@aether/messaging';
import { GrpcClientsModule } from '@aether/service-kit';
import { AnswerService } from './answers/answer.service';
import { CollectionsService } from './collections/collections.service';
import { DatabaseModule } from './database/database.module';
import { DocumentsService } from './documents/documents.service';
import { IngestService } from './documents/ingest.service';
import { AiGatewayEmbeddings } from './embeddings/ai-gateway-embeddings';
import { EMBEDDING_BACKENDS } from './embeddings/embedding-backend';
import { EmbeddingService } from './embeddings/embedding.service';
import { LocalEmbeddings } from './embeddings/local-embeddings';
import { RagGrpcController } from './rag.grpc.controller';
import { KeywordIndexCache } from './search/keyword-index-cache';
import { SearchService } from './search/search.service';
import { VectorGarbageCollector, VectorGarbageLoop } from './vectors/vector-garbage.collector';
import { VectorStore } from './vectors/vector-store';

/** Everything rag runs; the kit adds itself around it (see service.ts). */
@Module({
  imports: [
    DatabaseModule,
    // Verifies the caller's token on every RPC (the kit installs the guard on the gRPC server).
    AuthModule.forRoot(),
    // RABBITMQ_URL from the validated env; the outbox relays rag.* events after each commit.
    MessagingModule.forRoot(),
    OutboxModule.forRoot(),
    // Answers and ai-gateway embedding models (AI_GATEWAY_GRPC_URL).
    GrpcClientsModule.register(['ai-gateway']),
  ],
  controllers: [RagGrpcController],
  providers: [
    VectorStore,
    VectorGarbageCollector,
    VectorGarbageLoop,
    LocalEmbeddings,
    AiGatewayEmbeddings,
    // Local first: it serves only local/use-512; ai-gateway takes every other model.
    { provide: EMBEDDING_BACKENDS, inject: [LocalEmbeddings, AiGatewayEmbeddings], useFactory: (local: LocalEmbeddings, gateway: AiGatewayEmbeddings) => [local, gateway] },
    EmbeddingService,
    CollectionsService,
    IngestService,
    DocumentsService,
    KeywordIndexCache,
    SearchService,
    AnswerService,
  ],
})
export class RagModule {}
