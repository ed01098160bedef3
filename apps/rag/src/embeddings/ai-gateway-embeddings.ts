import { Injectable } from '@nestjs/common';
import type { CallOptions, Metadata } from '@grpc/grpc-js';
import { firstValueFrom, type Observable } from 'rxjs';
import type { aiGatewayV1 } from '@aether/contracts';
import { InjectGrpcClient } from '@aether/service-kit';
import { EmbeddingBackend } from './embedding-backend';

/** Inputs per CreateEmbeddings call (providers cap a request; OpenAI's is 2048). */
const BATCH = 128;
/** One batch may take a provider a while (the kit's default deadline is for quick RPCs). */
const EMBED_DEADLINE_MS = 120_000;

type CreateEmbeddings = (req: aiGatewayV1.CreateEmbeddingsRequest, md: Metadata | undefined, options: CallOptions) => Observable<aiGatewayV1.CreateEmbeddingsResponse>;

/** Any embedding model ai-gateway is configured with, through its CreateEmbeddings RPC, as the caller. */
@Injectable()
export class AiGatewayEmbeddings extends EmbeddingBackend {
  constructor(@InjectGrpcClient('ai-gateway') private readonly aiGateway: aiGatewayV1.AiGatewayServiceClient) {
    super();
  }

  serves(): boolean {
    return true;
  }

  async embed(model: string, texts: string[], caller?: Metadata): Promise<number[][]> {
    const out: number[][] = [];
    for (let i = 0; i < texts.length; i += BATCH) {
      const inputs = texts.slice(i, i + BATCH);
      const call = this.aiGateway.createEmbeddings as unknown as CreateEmbeddings;
      const res = await firstValueFrom(call.call(this.aiGateway, { model, inputs, user: '' }, caller, { deadline: Date.now() + EMBED_DEADLINE_MS }));
      const vectors = new Array<number[]>(inputs.length);
      for (const e of res.embeddings ?? []) vectors[e.index] = e.vector;
      if (vectors.some((v) => !v || v.length === 0) || vectors.length !== inputs.length) {
        throw new Error(`ai-gateway answered ${res.embeddings?.length ?? 0} embeddings for ${inputs.length} inputs`);
      }
      out.push(...vectors.map(normalise));
    }
    return out;
  }
}

/** Unit length, so cosine distance means the same for every model. */
function normalise(v: number[]): number[] {
  let sum = 0;
  for (const x of v) sum += x * x;
  const norm = Math.sqrt(sum) || 1;
  return v.map((x) => x / norm);
}
