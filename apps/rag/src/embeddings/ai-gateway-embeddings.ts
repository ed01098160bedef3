import { Injectable } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { firstValueFrom } from 'rxjs';
import type { aiGatewayV1 } from '@aether/contracts';
import { InjectGrpcClient } from '@aether/service-kit';
import { EmbeddingBackend } from './embedding-backend';

/** Inputs per CreateEmbeddings call (providers cap a request; OpenAI's is 2048). */
const BATCH = 128;

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
      const res = await firstValueFrom(this.aiGateway.createEmbeddings({ model, inputs, user: '' }, caller));
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
