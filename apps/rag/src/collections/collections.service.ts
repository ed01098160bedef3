import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { ragV1 } from '@aether/contracts';
import { DocumentDeletedEvent } from '@aether/contracts';
import { OutboxService } from '@aether/messaging';
import { ConflictError, NotFoundError, Violations, decodeCursor, pageLimit, pageOf, type PageInput } from '@aether/service-kit';
import type { Caller } from '../common/actor';
import { RagEnv } from '../config/rag.env';
import { toDocumentMessage, type DocumentRow } from '../documents/document.mapper';
import { VectorStore } from '../vectors/vector-store';

export const COLLECTION_NAME = /^[a-z0-9][a-z0-9-]{2,62}$/;
const MODEL_ID = /^[A-Za-z0-9._:-]+(\/[A-Za-z0-9._:/-]+)?$/;

export interface CollectionRow {
  name: string;
  description: string;
  embedding_model: string;
  vector_space: string;
  document_count: number;
  chunk_count: number;
  word_count: string;
  exact_count: string;
  created_at: Date;
}

export function toCollectionMessage(r: CollectionRow): ragV1.Collection {
  return {
    name: r.name,
    description: r.description,
    documentCount: r.document_count,
    chunkCount: r.chunk_count,
    embeddingModel: r.embedding_model,
    createdAt: r.created_at.toISOString(),
  };
}

/** Collections: a name, an embedding model fixed at creation, a Chroma collection of their own. */
@Injectable()
export class CollectionsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly vectors: VectorStore,
    private readonly outbox: OutboxService,
    private readonly env: RagEnv,
  ) {}

  async create(caller: Caller, req: ragV1.CreateCollectionRequest): Promise<CollectionRow> {
    const v = new Violations();
    if (!COLLECTION_NAME.test(req.name ?? '')) v.add('name', 'must be 3-63 lower-case letters, digits or "-", starting with a letter or digit');
    v.text('description', req.description ?? '', 1000);
    const model = req.embeddingModel || this.env.RAG_EMBEDDING_MODEL;
    if (!MODEL_ID.test(model) || model.length > 200) v.add('embeddingModel', 'must be a model id such as local/use-512');
    v.throwIfAny();
    if (await this.find(req.name)) throw new ConflictError('COLLECTION_EXISTS', `A collection named ${req.name} exists`);
    // A fresh Chroma name per creation: a collection deleted and created again never meets old vectors.
    const space = `rag-${req.name}-${randomBytes(4).toString('hex')}`;
    await this.vectors.createSpace(space);
    const rows: CollectionRow[] = await this.db.query(
      `INSERT INTO rag_collections (name, description, embedding_model, vector_space, created_by)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING RETURNING *`,
      [req.name, req.description ?? '', model, space, caller.userId],
    );
    if (rows.length === 0) {
      await this.vectors.deleteSpace(space).catch(() => undefined);
      throw new ConflictError('COLLECTION_EXISTS', `A collection named ${req.name} exists`);
    }
    return rows[0];
  }

  async find(name: string, manager: EntityManager | DataSource = this.db): Promise<CollectionRow | undefined> {
    if (!COLLECTION_NAME.test(name ?? '')) return undefined;
    const rows: CollectionRow[] = await manager.query(`SELECT * FROM rag_collections WHERE name = $1`, [name]);
    return rows[0];
  }

  async get(name: string): Promise<CollectionRow> {
    const row = await this.find(name);
    if (!row) throw new NotFoundError(`No collection named ${name}`);
    return row;
  }

  async list(page: PageInput | undefined): Promise<{ items: CollectionRow[]; nextCursor: string }> {
    const limit = pageLimit(page);
    const after = decodeCursor(page?.cursor, 'name', 1);
    const rows: CollectionRow[] = await this.db.query(
      `SELECT * FROM rag_collections WHERE ($1::text IS NULL OR name > $1) ORDER BY name LIMIT $2`,
      [after?.[0] ?? null, limit + 1],
    );
    return pageOf(rows, limit, (last) => ({ s: 'name', k: [last.name] }));
  }

  /** Deletes the collection, its documents and chunks (one rag.document.deleted per document); its vectors follow. */
  async delete(caller: Caller, name: string): Promise<void> {
    await this.db.transaction(async (m) => {
      const rows: CollectionRow[] = await m.query(`SELECT * FROM rag_collections WHERE name = $1 FOR UPDATE`, [name]);
      if (rows.length === 0 || !COLLECTION_NAME.test(name)) throw new NotFoundError(`No collection named ${name}`);
      const docs: DocumentRow[] = await m.query(`SELECT * FROM rag_documents WHERE collection = $1`, [name]);
      for (const d of docs) {
        await this.outbox.publish(m, DocumentDeletedEvent, { document: toDocumentMessage(d), collectionDeleted: true }, { subject: caller.userId });
      }
      await m.query(`DELETE FROM rag_collections WHERE name = $1`, [name]);
      await m.query(
        `INSERT INTO rag_vector_garbage (vector_space, chunk_ids, whole_space, delete_after) VALUES ($1, '{}', true, now() + interval '10 seconds')`,
        [rows[0].vector_space],
      );
    });
  }
}
