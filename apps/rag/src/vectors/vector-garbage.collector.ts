import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { periodicJobProvider, type PassOutcome } from '@aether/service-kit';
import { VectorStore } from './vector-store';

/**
 * Removes from Chroma the vectors of replaced and deleted chunks once their grace period is
 * over (a search that took its PostgreSQL snapshot before the switch still finds them until
 * then). Rows are claimed with SKIP LOCKED, so replicas share the work; a failed removal stays
 * queued and is retried.
 */
@Injectable()
export class VectorGarbageCollector {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly vectors: VectorStore,
  ) {}

  async collect(): Promise<PassOutcome> {
    let removed = 0;
    await this.db.transaction(async (m) => {
      const rows: { id: string; vector_space: string; chunk_ids: string[]; whole_space: boolean }[] = await m.query(
        `SELECT id, vector_space, chunk_ids, whole_space FROM rag_vector_garbage WHERE delete_after <= now() ORDER BY id LIMIT 20 FOR UPDATE SKIP LOCKED`,
      );
      for (const r of rows) {
        if (r.whole_space) await this.vectors.deleteSpace(r.vector_space);
        else await this.vectors.delete(r.vector_space, r.chunk_ids);
        await m.query(`DELETE FROM rag_vector_garbage WHERE id = $1`, [r.id]);
        removed++;
      }
    });
    return removed === 20 ? 'again' : undefined;
  }
}

export const VectorGarbageLoop = periodicJobProvider('VectorGarbageLoop', [VectorGarbageCollector], (gc: VectorGarbageCollector) => ({
  name: 'vector-garbage',
  intervalMs: 5_000,
  backoff: { initialMs: 5_000, maxMs: 60_000 },
  run: () => gc.collect(),
}));
