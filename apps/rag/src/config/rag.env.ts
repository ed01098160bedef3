import { AuthEnv } from '@aether/auth';
import { MessagingEnv } from '@aether/messaging';
import { BaseEnv, PostgresEnv } from '@aether/service-kit';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsNotEmpty, IsNumber, IsOptional, IsString, IsUrl, Matches, Max, Min } from 'class-validator';
import { VECTOR_ROLES } from '../search/rank-fusion';

const MODEL_ID = /^[A-Za-z0-9._:-]+(\/[A-Za-z0-9._:/-]+)?$/;
const WEIGHTS = /^\s*(vector|keyword|exact)\s*=\s*\d+(\.\d+)?\s*(,\s*(vector|keyword|exact)\s*=\s*\d+(\.\d+)?\s*)*$/;

/**
 * Environment of the rag service, validated at start-up by the service kit (a missing or bad
 * variable stops the process naming it); DATABASE_URL comes with PostgresEnv, RABBITMQ_URL with
 * MessagingEnv, AUTH_JWKS_URL / AUTH_ISSUER / AUTH_AUDIENCE with AuthEnv.
 */
export class RagEnv extends PostgresEnv(AuthEnv(MessagingEnv(BaseEnv))) {
  GRPC_PORT = 50058;
  HTTP_PORT = 9108;

  /** ChromaDB server holding the chunk vectors (cosine space), e.g. http://127.0.0.1:8000. */
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] }, { message: 'CHROMA_URL must be an http(s) URL' })
  CHROMA_URL = 'http://127.0.0.1:8000';

  /** host:port of ai-gateway's gRPC API: answers, and embeddings of collections that use one of its models. */
  @IsString() @IsNotEmpty() AI_GATEWAY_GRPC_URL = '127.0.0.1:50054';

  /** Embedding model of new collections that name none: `local/use-512` (in process, offline) or an ai-gateway model. */
  @IsString() @Matches(MODEL_ID, { message: 'RAG_EMBEDDING_MODEL must be a model id such as local/use-512' })
  RAG_EMBEDDING_MODEL = 'local/use-512';

  /** Model (or alias) of ai-gateway that writes answers when the request names none. */
  @IsString() @Matches(MODEL_ID, { message: 'RAG_ANSWER_MODEL must be a model id or alias' })
  RAG_ANSWER_MODEL = 'fast';

  /** Largest document accepted (bytes of the file as uploaded); the gateway refuses bigger ones with 413. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1024) @Max(60 * 1024 * 1024) RAG_MAX_UPLOAD_BYTES = 20 * 1024 * 1024;

  /** Largest chunk, in characters (a code block or table bigger than this is its own chunk, never split). */
  @IsOptional() @Type(() => Number) @IsInt() @Min(200) @Max(20_000) RAG_CHUNK_MAX_CHARS = 1500;

  /**
   * Fusion of the ranked lists (weighted reciprocal rank fusion), chosen by the evaluation
   * (apps/rag/eval, bench/results/rag-eval.md: grid with 5-fold cross-validation; the local
   * USE-512 vectors are weak on technical prose, so they may add chunks but not reorder).
   */
  @IsOptional() @Matches(WEIGHTS, { message: 'RAG_FUSION_WEIGHTS must look like vector=0.1,keyword=1,exact=0.25' })
  RAG_FUSION_WEIGHTS = 'vector=0.5,keyword=1,exact=0.02';

  /** Reciprocal rank fusion's k (score of rank r: weight / (k + r)). */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) RAG_FUSION_RRF_K = 60;

  /** How many of the vector list's best hits take part in the fusion. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) RAG_FUSION_VECTOR_DEPTH = 10;

  /** `add`: vectors only add chunks the keyword and exact lists missed; `fuse`: they may also reorder them. */
  @IsOptional() @IsIn(VECTOR_ROLES, { message: 'RAG_FUSION_VECTOR_ROLE must be fuse or add' })
  RAG_FUSION_VECTOR_ROLE: string = 'add';

  /**
   * The fused list's first RAG_FUSION_RERANK_DEPTH chunks are re-ordered by z(BM25) +
   * RAG_FUSION_SIMILARITY_WEIGHT · z(cosine similarity to the query); depth 0 or weight 0 turns
   * it off (the evaluation's grid and cross-validation chose them: bench/results/rag-eval.md).
   */
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(50) RAG_FUSION_RERANK_DEPTH = 10;

  /** Weight of z(cosine similarity) against z(BM25) in that re-ranking (0: off). */
  @IsOptional() @Type(() => Number) @IsNumber() @Min(0) @Max(10) RAG_FUSION_SIMILARITY_WEIGHT = 0.2;

  /**
   * The SQL keyword ranker — a collection's first searches, those during a refresh of its
   * in-memory copy, filtered ones, and every search of a collection over
   * RAG_KEYWORD_MEMORY_POSTINGS — reads at most this many postings of each query term, the term's
   * highest-impact ones (BM25 term weight at indexing time), then scores those candidates exactly:
   * search time stays bounded by terms × depth however common a word is. The search-scale
   * evaluation measures how often this changes the top 10 against exhaustive BM25 at 100k chunks.
   */
  @IsOptional() @Type(() => Number) @IsInt() @Min(50) @Max(1_000_000) RAG_KEYWORD_TERM_DEPTH = 2000;

  /**
   * Postings of keyword indexes held in process memory, over all collections (about 6 bytes each
   * plus ~150 bytes a chunk): a collection that fits is ranked by exhaustive BM25 over typed arrays,
   * a copy checked against the search's snapshot, instead of by the bounded SQL ranker. 0: off.
   */
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(1_000_000_000) RAG_KEYWORD_MEMORY_POSTINGS = 20_000_000;

  /**
   * Cosine similarity a chunk found by vectors alone needs to count as relevant for an answer
   * (chunks sharing a query word always count). Below it for every chunk: "nothing relevant".
   */
  @IsOptional() @Type(() => Number) @IsNumber() @Min(0) @Max(1) RAG_ANSWER_MIN_SIMILARITY = 0.45;
}
