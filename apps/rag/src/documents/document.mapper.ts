import type { ragV1 } from '@aether/contracts';

export interface DocumentRow {
  id: string;
  collection: string;
  title: string;
  mime_type: string;
  metadata: Record<string, string>;
  source_url: string;
  content_hash: string;
  size_bytes: string;
  version: number;
  chunk_count: number;
  created_at: Date;
  updated_at: Date;
}

export function toDocumentMessage(r: DocumentRow): ragV1.Document {
  return {
    id: r.id,
    collection: r.collection,
    title: r.title,
    mimeType: r.mime_type,
    metadata: r.metadata ?? {},
    sourceUrl: r.source_url,
    chunks: r.chunk_count,
    contentHash: r.content_hash,
    sizeBytes: String(r.size_bytes),
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}
