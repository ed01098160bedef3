import { Injectable, OnModuleInit } from '@nestjs/common';
import { ChromaClient, type Collection as ChromaCollection, type Where } from 'chromadb';
import { UnavailableError } from '@aether/service-kit';
import { RagEnv } from '../config/rag.env';
import type { MetadataCondition } from '../search/metadata-filter';

/** Prefix of user metadata keys in Chroma, so they never collide with the service's own keys. */
const META = 'm:';

export interface VectorRecord {
  id: string;
  vector: number[];
  documentId: string;
  metadata: Record<string, string>;
}

export interface VectorHit {
  id: string;
  /** Cosine similarity (1 − Chroma's cosine distance). */
  similarity: number;
}

/**
 * The chunk vectors in ChromaDB, one Chroma collection per rag collection, cosine space, no
 * embedding function (the service embeds). Chroma is an index, not the truth: a hit counts only
 * when its chunk id exists in PostgreSQL's registry (see SearchService).
 */
@Injectable()
export class VectorStore implements OnModuleInit {
  private client!: ChromaClient;
  private readonly collections = new Map<string, Promise<ChromaCollection>>();

  constructor(private readonly env: RagEnv) {}

  onModuleInit(): void {
    const url = new URL(this.env.CHROMA_URL);
    this.client = new ChromaClient({
      host: url.hostname,
      port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      ssl: url.protocol === 'https:',
    });
  }

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch {
      throw new UnavailableError('The vector store is unavailable');
    }
  }

  private collection(space: string): Promise<ChromaCollection> {
    let c = this.collections.get(space);
    if (!c) {
      c = this.client.getOrCreateCollection({ name: space, embeddingFunction: null, configuration: { hnsw: { space: 'cosine' } } });
      c.catch(() => this.collections.delete(space));
      this.collections.set(space, c);
    }
    return c;
  }

  async createSpace(space: string): Promise<void> {
    await this.guard(() => this.collection(space));
  }

  async deleteSpace(space: string): Promise<void> {
    this.collections.delete(space);
    await this.guard(async () => {
      try {
        await this.client.deleteCollection({ name: space });
      } catch (err) {
        if (!/not.?found|does not exist/i.test(String((err as Error)?.message))) throw err;
      }
    });
  }

  async upsert(space: string, records: VectorRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.guard(async () => {
      const c = await this.collection(space);
      for (let i = 0; i < records.length; i += 500) {
        const batch = records.slice(i, i + 500);
        await c.upsert({
          ids: batch.map((r) => r.id),
          embeddings: batch.map((r) => r.vector),
          metadatas: batch.map((r) => ({ doc: r.documentId, ...Object.fromEntries(Object.entries(r.metadata).map(([k, v]) => [META + k, v])) })),
        });
      }
    });
  }

  async delete(space: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.guard(async () => {
      const c = await this.collection(space);
      for (let i = 0; i < ids.length; i += 1000) await c.delete({ ids: ids.slice(i, i + 1000) });
    });
  }

  /** The `n` nearest chunks to `vector` that satisfy every condition. */
  async query(space: string, vector: number[], n: number, conditions: MetadataCondition[]): Promise<VectorHit[]> {
    return this.guard(async () => {
      const c = await this.collection(space);
      const clauses: Where[] = conditions.map((cond) =>
        cond.values.length === 1 ? { [META + cond.key]: { $eq: cond.values[0] } } : { [META + cond.key]: { $in: cond.values } },
      ) as Where[];
      const where: Where | undefined = clauses.length === 0 ? undefined : clauses.length === 1 ? clauses[0] : { $and: clauses };
      const res = await c.query({ queryEmbeddings: [vector], nResults: n, where, include: ['distances' as never] });
      const ids = res.ids[0] ?? [];
      const distances = res.distances?.[0] ?? [];
      return ids.map((id, i) => ({ id, similarity: 1 - Number(distances[i] ?? 1) }));
    });
  }

  /** Cosine similarity of `vector` to each of these chunks' vectors (ids Chroma does not hold are absent). */
  async similarities(space: string, vector: number[], ids: string[]): Promise<Map<string, number>> {
    if (ids.length === 0) return new Map();
    return this.guard(async () => {
      const c = await this.collection(space);
      const res = await c.get({ ids, include: ['embeddings' as never] });
      const out = new Map<string, number>();
      res.ids.forEach((id, i) => {
        const e = res.embeddings?.[i];
        if (e) out.set(id, cosine(vector, e as ArrayLike<number>));
      });
      return out;
    });
  }

  async heartbeat(): Promise<void> {
    await this.guard(() => this.client.heartbeat());
  }
}

/** Cosine similarity (0 when either vector is zero). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}
