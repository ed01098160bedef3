import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type { Metadata } from '@grpc/grpc-js';
import type { Observable } from 'rxjs';
import type { ragV1 } from '@aether/contracts';
import { RequirePermissions } from '@aether/auth';
import { AnswerService } from './answers/answer.service';
import { CollectionsService, toCollectionMessage } from './collections/collections.service';
import { callerOf } from './common/actor';
import { toDocumentMessage } from './documents/document.mapper';
import { DocumentsService } from './documents/documents.service';
import { IngestService } from './documents/ingest.service';
import { SearchService, toSearchResult } from './search/search.service';

const SERVICE = 'RagService';

/** gRPC transport of rag: the caller from the verified token, everything else in the domain services. */
@Controller()
export class RagGrpcController {
  constructor(
    private readonly collections: CollectionsService,
    private readonly ingestion: IngestService,
    private readonly documents: DocumentsService,
    private readonly searching: SearchService,
    private readonly answers: AnswerService,
  ) {}

  @GrpcMethod(SERVICE, 'CreateCollection')
  @RequirePermissions('rag:write')
  async createCollection(req: ragV1.CreateCollectionRequest, md: Metadata): Promise<ragV1.Collection> {
    return toCollectionMessage(await this.collections.create(callerOf(md), req));
  }

  @GrpcMethod(SERVICE, 'ListCollections')
  @RequirePermissions('rag:read')
  async listCollections(req: ragV1.ListCollectionsRequest): Promise<ragV1.ListCollectionsResponse> {
    const page = await this.collections.list(req.page);
    return { items: page.items.map(toCollectionMessage), nextCursor: page.nextCursor };
  }

  @GrpcMethod(SERVICE, 'GetCollection')
  @RequirePermissions('rag:read')
  async getCollection(req: ragV1.GetCollectionRequest): Promise<ragV1.Collection> {
    return toCollectionMessage(await this.collections.get(req.name));
  }

  @GrpcMethod(SERVICE, 'DeleteCollection')
  @RequirePermissions('rag:write')
  async deleteCollection(req: ragV1.DeleteCollectionRequest, md: Metadata): Promise<ragV1.DeleteCollectionResponse> {
    await this.collections.delete(callerOf(md), req.name);
    return {};
  }

  @GrpcMethod(SERVICE, 'IngestDocument')
  @RequirePermissions('rag:write')
  async ingestDocument(req: ragV1.IngestDocumentRequest, md: Metadata): Promise<ragV1.IngestDocumentResponse> {
    const { document, unchanged } = await this.ingestion.ingest(callerOf(md), req);
    return { id: document.id, collection: document.collection, title: document.title, chunks: document.chunk_count, contentHash: document.content_hash, unchanged };
  }

  @GrpcMethod(SERVICE, 'ListDocuments')
  @RequirePermissions('rag:read')
  async listDocuments(req: ragV1.ListDocumentsRequest): Promise<ragV1.ListDocumentsResponse> {
    const page = await this.documents.list(req.collection, req.page);
    return { items: page.items.map(toDocumentMessage), nextCursor: page.nextCursor };
  }

  @GrpcMethod(SERVICE, 'GetDocument')
  @RequirePermissions('rag:read')
  async getDocument(req: ragV1.GetDocumentRequest): Promise<ragV1.Document> {
    return toDocumentMessage(await this.documents.get(req.id));
  }

  @GrpcMethod(SERVICE, 'DeleteDocument')
  @RequirePermissions('rag:write')
  async deleteDocument(req: ragV1.DeleteDocumentRequest, md: Metadata): Promise<ragV1.DeleteDocumentResponse> {
    await this.documents.delete(callerOf(md), req.id);
    return {};
  }

  @GrpcMethod(SERVICE, 'Search')
  @RequirePermissions('rag:read')
  async search(req: ragV1.SearchRequest, md: Metadata): Promise<ragV1.SearchResponse> {
    const { hits } = await this.searching.search(req, callerOf(md).metadata);
    return { results: hits.map(toSearchResult) };
  }

  @GrpcMethod(SERVICE, 'Answer')
  @RequirePermissions('rag:read')
  async answer(req: ragV1.AnswerRequest, md: Metadata): Promise<ragV1.AnswerResponse> {
    const outcome = await this.answers.answer(callerOf(md), req);
    return { answer: outcome.answer, citations: outcome.citations, model: outcome.model, grounded: outcome.grounded, droppedCitations: outcome.dropped };
  }

  @GrpcMethod(SERVICE, 'StreamAnswer')
  @RequirePermissions('rag:read')
  streamAnswer(req: ragV1.AnswerRequest, md: Metadata): Observable<ragV1.AnswerChunk> {
    return this.answers.streamAnswer(callerOf(md), req);
  }
}
