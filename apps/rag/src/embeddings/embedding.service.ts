import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { status as GrpcStatus, type Metadata } from '@grpc/grpc-js';
import type { DataSource } from 'typeorm';
import { DomainError, PermissionDeniedError, RateLimitedError, UnavailableError, ValidationError, readGrpcError } from '@aether/service-kit';
import { EMBEDDING_BACKENDS, EmbeddingBackend } from './embedding-backend';

/** A text to embed and the hash that keys its cached vector. */
export interface EmbeddingInput {
  hash: string;
  text: string;
}

const QUERY_CACHE_SIZE = 512;

/**
 * Vectors for chunks and queries. Chunk vectors are cached in PostgreSQL by (model, hash of the
 * embedded text): the same chunk again — in a re-ingested or edited document, or another
 * document — is never embedded twice. Query vectors are kept in a small in-process LRU.
 */
@Injectable()
export class EmbeddingService {
  private readonly queryCache = new Map<string, number[]>();

  constructor(
    @Inject(EMBEDDING_BACKENDS) private readonly backends: EmbeddingBackend[],
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  private backend(model: string): EmbeddingBackend {
    const backend = this.backends.find((b) => b.serves(model));
    if (!backend) throw new ValidationError('Unknown embedding model', [{ field: 'embeddingModel', message: `no backend serves ${model}` }]);
    return backend;
  }

  /** Vectors of `inputs` by hash: cached ones read, the rest embedded (one batched call) and cached. */
  async embedChunks(model: string, inputs: EmbeddingInput[], caller?: Metadata): Promise<Map<string, number[]>> {
    const vectors = new Map<string, number[]>();
    const hashes = [...new Set(inputs.map((i) => i.hash))];
    if (hashes.length === 0) return vectors;
    const rows: { content_hash: string; vector: number[] }[] = await this.db.query(
      `SELECT content_hash, vector FROM rag_embeddings WHERE model = $1 AND content_hash = ANY($2::text[])`,
      [model, hashes],
    );
    for (const r of rows) vectors.set(r.content_hash, r.vector.map(Number));
    const missing = new Map<string, string>();
    for (const i of inputs) if (!vectors.has(i.hash) && !missing.has(i.hash)) missing.set(i.hash, i.text);
    if (missing.size === 0) return vectors;
    const fresh = await this.call(model, [...missing.values()], caller);
    const missingHashes = [...missing.keys()];
    missingHashes.forEach((h, n) => vectors.set(h, fresh[n]));
    await this.db.query(
      `INSERT INTO rag_embeddings (model, content_hash, vector)
       SELECT $1, h, (SELECT array_agg(x::real) FROM jsonb_array_elements_text(v) x) FROM unnest($2::text[], $3::jsonb[]) AS t(h, v)
       ON CONFLICT DO NOTHING`,
      [model, missingHashes, missingHashes.map((h) => JSON.stringify(vectors.get(h)))],
    );
    return vectors;
  }

  /** The vector of a search query (not persisted; recent ones are remembered). */
  async embedQuery(model: string, text: string, caller?: Metadata): Promise<number[]> {
    const key = `${model}\u0000${text}`;
    const hit = this.queryCache.get(key);
    if (hit) {
      this.queryCache.delete(key);
      this.queryCache.set(key, hit);
      return hit;
    }
    const [vector] = await this.call(model, [text], caller);
    this.queryCache.set(key, vector);
    if (this.queryCache.size > QUERY_CACHE_SIZE) this.queryCache.delete(this.queryCache.keys().next().value as string);
    return vector;
  }

  private async call(model: string, texts: string[], caller?: Metadata): Promise<number[][]> {
    const backend = this.backend(model);
    try {
      return await backend.embed(model, texts, caller);
    } catch (err) {
      if (err instanceof DomainError) throw err;
      const grpc = readGrpcError(err);
      if (grpc.grpcCode === GrpcStatus.NOT_FOUND || grpc.grpcCode === GrpcStatus.INVALID_ARGUMENT) {
        throw new ValidationError('The embedding model is not available', [{ field: 'embeddingModel', message: `${model} is not an embedding model of ai-gateway` }]);
      }
      // The caller's budget or rights, as ai-gateway said it.
      if (grpc.grpcCode === GrpcStatus.RESOURCE_EXHAUSTED) throw new RateLimitedError(grpc.message, grpc.retryAfterSeconds, grpc.code);
      if (grpc.grpcCode === GrpcStatus.PERMISSION_DENIED) throw new PermissionDeniedError(grpc.message, grpc.code);
      throw new UnavailableError('The embedding model did not answer');
    }
  }
}
