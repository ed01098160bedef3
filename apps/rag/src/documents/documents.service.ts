import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { DocumentDeletedEvent } from '@aether/contracts';
import { OutboxService } from '@aether/messaging';
import { NotFoundError, Violations, decodeCursor, isUuid, pageLimit, pageOf, type PageInput } from '@aether/service-kit';
import { COLLECTION_NAME } from '../collections/collections.service';
import type { Caller } from '../common/actor';
import { toDocumentMessage, type DocumentRow } from './document.mapper';
import { IngestService } from './ingest.service';

/** Reading and deleting stored documents (ingest is IngestService). */
@Injectable()
export class DocumentsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly ingest: IngestService,
    private readonly outbox: OutboxService,
  ) {}

  async get(id: string): Promise<DocumentRow> {
    const row = isUuid(id ?? '') ? ((await this.db.query(`SELECT * FROM rag_documents WHERE id = $1`, [id]))[0] as DocumentRow | undefined) : undefined;
    if (!row) throw new NotFoundError('No such document');
    return row;
  }

  /** Oldest first, keyset-paged; one collection's (404 when it does not exist) or all. */
  async list(collection: string, page: PageInput | undefined): Promise<{ items: DocumentRow[]; nextCursor: string }> {
    const limit = pageLimit(page);
    const key = decodeCursor(page?.cursor, 'created', 2, ([t, id]) => !Number.isNaN(Date.parse(t)) && isUuid(id));
    if (collection) {
      const v = new Violations();
      if (!COLLECTION_NAME.test(collection)) v.add('collection', 'is not a collection name');
      v.throwIfAny();
      const exists = await this.db.query(`SELECT 1 FROM rag_collections WHERE name = $1`, [collection]);
      if (exists.length === 0) throw new NotFoundError(`No collection named ${collection}`);
    }
    const rows: (DocumentRow & { created_text: string })[] = await this.db.query(
      `SELECT *, created_at::text AS created_text FROM rag_documents
       WHERE ($1::text = '' OR collection = $1) AND ($2::timestamptz IS NULL OR (created_at, id) > ($2::timestamptz, $3::uuid))
       ORDER BY created_at, id LIMIT $4`,
      [collection ?? '', key?.[0] ?? null, key?.[1] ?? null, limit + 1],
    );
    return pageOf(rows, limit, (last) => ({ s: 'created', k: [last.created_text, last.id] }));
  }

  async delete(caller: Caller, id: string): Promise<void> {
    const doc = await this.get(id);
    await this.db.transaction(async (m) => {
      const rows: (DocumentRow & { vector_space: string })[] = await m.query(
        `SELECT d.*, c.vector_space FROM rag_documents d JOIN rag_collections c ON c.name = d.collection WHERE d.id = $1 FOR UPDATE OF d`,
        [doc.id],
      );
      if (rows.length === 0) throw new NotFoundError('No such document');
      const removed = await this.ingest.removeVersion(m, rows[0].collection, rows[0].vector_space, doc.id, null);
      await m.query(`DELETE FROM rag_documents WHERE id = $1`, [doc.id]);
      await m.query(
        `UPDATE rag_collections SET keyword_generation = keyword_generation + 1, document_count = document_count - 1, chunk_count = chunk_count - $2, word_count = word_count - $3, exact_count = exact_count - $4 WHERE name = $1`,
        [rows[0].collection, removed.chunks, removed.words, removed.exact],
      );
      await this.outbox.publish(m, DocumentDeletedEvent, { document: toDocumentMessage(rows[0]), collectionDeleted: false }, { subject: caller.userId });
    });
  }
}
