import { OUTBOX_MIGRATIONS, OutboxEvent } from '@aether/messaging';
import { PostgresModule } from '@aether/service-kit';
import { CreateRagSchema1796113091416 } from '../migrations/1796113091416-create-rag-schema';
import { PostingsCoveringIndex1796200000000 } from '../migrations/1796200000000-postings-covering-index';
import { BoundedKeywordRanker1796300000000 } from '../migrations/1796300000000-bounded-keyword-ranker';
import { PostingsChunkKey1796400000000 } from '../migrations/1796400000000-postings-chunk-key';
import { KeywordGeneration1796500000000 } from '../migrations/1796500000000-keyword-generation';

/** rag's migrations, ordered by timestamp; the pending ones run at start-up, one replica at a time. */
export const RAG_MIGRATIONS = [...OUTBOX_MIGRATIONS, CreateRagSchema1796113091416, PostingsCoveringIndex1796200000000, BoundedKeywordRanker1796300000000, PostingsChunkKey1796400000000, KeywordGeneration1796500000000];

/** PostgreSQL of rag (the kit's PostgresModule: pool, retries, migrations under a lock). */
export const DatabaseModule = PostgresModule.forRoot({
  // The registry is plain SQL (BM25 and the version switch are easier to read as SQL); only the outbox is an entity.
  entities: [OutboxEvent],
  migrations: RAG_MIGRATIONS,
});
