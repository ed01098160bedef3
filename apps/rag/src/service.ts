import { AmqpReadiness } from '@aether/messaging';
import { defineService, TypeOrmReadiness } from '@aether/service-kit';
import { RagEnv } from './config/rag.env';
import { RagModule } from './rag.module';
import { ChromaReadiness } from './vectors/chroma-readiness';

/**
 * The rag service: document collections for retrieval-augmented generation — ingest (extract,
 * chunk, embed), hybrid search over ChromaDB and PostgreSQL, answers with checked citations
 * through ai-gateway.
 */
export const ragService = defineService({
  name: 'rag',
  env: RagEnv,
  module: RagModule,
  grpc: true,
  readiness: [TypeOrmReadiness, AmqpReadiness, ChromaReadiness],
  // Documents arrive whole in IngestDocument (up to RAG_MAX_UPLOAD_BYTES, at most 60 MiB).
  grpcMaxReceiveBytes: 64 * 1024 * 1024,
});
