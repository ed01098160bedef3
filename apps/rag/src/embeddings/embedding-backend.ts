import type { Metadata } from '@grpc/grpc-js';

/** The model every collection gets unless it names another: the Universal Sentence Encoder, in process. */
export const LOCAL_USE_512 = 'local/use-512';

/**
 * Something that turns texts into vectors for one family of models. Two exist: the in-process
 * USE-512 and ai-gateway's CreateEmbeddings RPC (any embedding model it is configured with).
 * The service depends on this interface only, so ai-gateway's contract can move without the
 * domain noticing.
 */
export abstract class EmbeddingBackend {
  /** True when this backend serves `model`. */
  abstract serves(model: string): boolean;
  /** One vector per text, in order. `caller` is the gRPC metadata of the request (identity for budgets). */
  abstract embed(model: string, texts: string[], caller?: Metadata): Promise<number[][]>;
}

/** The backends in order of preference; the first that serves a model is used. */
export const EMBEDDING_BACKENDS = Symbol('EMBEDDING_BACKENDS');
