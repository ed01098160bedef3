import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { ReadinessProbe } from '@aether/service-kit';
import { VectorStore } from './vector-store';

/** /readyz: Chroma answers its heartbeat (resolved lazily: the kit builds probes outside the app's modules). */
@Injectable()
export class ChromaReadiness implements ReadinessProbe {
  readonly name = 'chroma';
  constructor(private readonly moduleRef: ModuleRef) {}

  async check(): Promise<void> {
    const store = this.moduleRef.get(VectorStore, { strict: false });
    await Promise.race([
      store.heartbeat(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('chroma did not answer within 1000 ms')), 1000).unref()),
    ]);
  }
}
