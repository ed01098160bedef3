import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnsupportedMediaTypeResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import type { CallOptions, Metadata } from '@grpc/grpc-js';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { firstValueFrom, type Observable } from 'rxjs';
import type { ragV1 } from '@aether/contracts';
import { RequirePermissions } from '@aether/auth';
import { InjectGrpcClient, ValidationError, type FieldViolation } from '@aether/service-kit';
import { CallMetadata, type GatewayRequest } from '../http/call-metadata';
import { ApiAuthenticated, ApiProblems, ProblemDto } from '../http/openapi';
import { Page, PageOf, orNull, pageRequest, toPage } from '../http/pagination';
import { toFieldViolations } from '../http/validation';
import { uuidPipe } from '../http/uuid-param';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { relayAnswerStream } from './answer-stream';
import { isMultipartDocument, UnsupportedDocumentTypeError, UPLOADED_BYTES, type MultipartDocument } from './document-upload';
import {
  AnswerDto,
  AnswerResponseDto,
  CollectionDto,
  CreateCollectionDto,
  DocumentDto,
  IngestedDocumentDto,
  IngestJsonDocumentDto,
  IngestMultipartDocumentDto,
  ListDocumentsQueryDto,
  SearchDto,
  SearchResponseDto,
  SearchResultDto,
} from './rag.dto';

/** Ingest embeds every chunk (~0.1 s each in process): far beyond the kit's default RPC deadline. */
const INGEST_DEADLINE_MS = 600_000;
/** Search embeds the query (or asks ai-gateway to). */
const SEARCH_DEADLINE_MS = 30_000;
const ANSWER_DEADLINE_MS = 200_000;

type WithOptions<Req, Res> = (request: Req, metadata: Metadata, options: CallOptions) => Observable<Res>;

const CollectionPage = PageOf(CollectionDto, 'RagCollectionPage');
const DocumentPage = PageOf(DocumentDto, 'RagDocumentPage');

const toCollection = (c: ragV1.Collection): CollectionDto => ({
  name: c.name,
  description: c.description,
  documents: c.documentCount,
  chunks: c.chunkCount,
  embeddingModel: c.embeddingModel,
  createdAt: c.createdAt,
});

const toDocument = (d: ragV1.Document): DocumentDto => ({
  id: d.id,
  collection: d.collection,
  title: d.title,
  mimeType: d.mimeType,
  metadata: d.metadata ?? {},
  sourceUrl: orNull(d.sourceUrl),
  chunks: d.chunks,
  contentHash: d.contentHash,
  sizeBytes: Number(d.sizeBytes ?? 0),
  createdAt: d.createdAt,
  updatedAt: d.updatedAt,
});

const toResult = (r: ragV1.SearchResult): SearchResultDto => ({
  documentId: r.documentId,
  chunkId: r.chunkId,
  title: r.title,
  text: r.text,
  score: r.score,
  metadata: r.metadata ?? {},
  headingPath: r.headingPath ?? [],
  page: r.pageStart ? r.pageStart : null,
});

const toCitation = (c: ragV1.Citation) => ({ documentId: c.documentId, chunkId: c.chunkId, title: c.title, quote: c.quote });

const EXTENSION_TYPES: Record<string, string> = {
  pdf: 'application/pdf',
  md: 'text/markdown',
  markdown: 'text/markdown',
  html: 'text/html',
  htm: 'text/html',
  txt: 'text/plain',
  text: 'text/plain',
};
const UPLOAD_TYPES = new Set(Object.values(EXTENSION_TYPES));

/** A scalar metadata value as rag stores it (text). */
function metadataValue(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : typeof v === 'boolean' ? String(v) : undefined;
}

function toMetadata(raw: unknown, field: string, violations: FieldViolation[]): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    violations.push({ field, message: 'must be an object of string, number or boolean values' });
    return {};
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    const value = metadataValue(v);
    if (value === undefined) violations.push({ field: `${field}.${k}`, message: 'must be a string, number or boolean' });
    else out[k] = value;
  }
  return out;
}

/** REST `filter` → the proto's equality map and any-of conditions. */
function toFilter(raw: Record<string, unknown> | undefined): { filter: Record<string, string>; filters: ragV1.MetadataFilter[] } {
  const violations: FieldViolation[] = [];
  const filter: Record<string, string> = {};
  const filters: ragV1.MetadataFilter[] = [];
  for (const [key, v] of Object.entries(raw ?? {})) {
    const scalar = metadataValue(v);
    if (scalar !== undefined) {
      filter[key] = scalar;
      continue;
    }
    const inList = typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 ? (v as { $in?: unknown }).$in : undefined;
    const values = Array.isArray(inList) ? inList.map(metadataValue) : undefined;
    if (!values || values.length === 0 || values.some((x) => x === undefined)) {
      violations.push({ field: `filter.${key}`, message: 'must be a value, or {"$in": [values]} with at least one string, number or boolean' });
      continue;
    }
    filters.push({ key, values: values as string[] });
  }
  if (violations.length) throw new ValidationError('The request is not valid', violations);
  return { filter, filters };
}

/** RAG collections, documents, hybrid search and cited answers → rag (RAG_GRPC_URL). */
@ApiTags('rag')
@ApiAuthenticated()
@ApiProblems()
@Controller('api/v1/rag')
export class RagController {
  constructor(@InjectGrpcClient('rag') private readonly rag: ragV1.RagServiceClient) {}

  @Post('collections')
  @Idempotent()
  @RequirePermissions('rag:write')
  @ApiOperation({ summary: 'Create a collection' })
  @ApiCreatedResponse({ type: CollectionDto })
  @ApiConflictResponse({ type: ProblemDto, description: 'COLLECTION_EXISTS' })
  async createCollection(@Body() dto: CreateCollectionDto, @CallMetadata() md: Metadata): Promise<CollectionDto> {
    return toCollection(await firstValueFrom(this.rag.createCollection({ name: dto.name, description: dto.description ?? '', embeddingModel: dto.embeddingModel ?? '' }, md)));
  }

  @Get('collections')
  @RequirePermissions('rag:read')
  @ApiOperation({ summary: 'List collections by name' })
  @ApiOkResponse({ type: CollectionPage })
  async listCollections(@Query() q: ListDocumentsQueryDto, @CallMetadata() md: Metadata): Promise<Page<CollectionDto>> {
    if (q.collection !== undefined) throw new ValidationError('The request is not valid', [{ field: 'collection', message: 'is not a parameter of this list' }]);
    return toPage(await firstValueFrom(this.rag.listCollections({ page: pageRequest(q) }, md)), toCollection);
  }

  @Get('collections/:name')
  @RequirePermissions('rag:read')
  @ApiOperation({ summary: 'Get a collection with its document and chunk counts' })
  @ApiOkResponse({ type: CollectionDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  async getCollection(@Param('name') name: string, @CallMetadata() md: Metadata): Promise<CollectionDto> {
    return toCollection(await firstValueFrom(this.rag.getCollection({ name }, md)));
  }

  @Delete('collections/:name')
  @HttpCode(204)
  @RequirePermissions('rag:write')
  @ApiOperation({ summary: 'Delete a collection with every document in it' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ type: ProblemDto })
  async deleteCollection(@Param('name') name: string, @CallMetadata() md: Metadata): Promise<void> {
    await firstValueFrom(this.rag.deleteCollection({ name }, md));
  }

  @Post('documents')
  @Idempotent()
  @RequirePermissions('rag:write')
  @ApiOperation({ summary: 'Ingest a document (JSON text, or a multipart file upload including PDF); the same title and content again changes nothing' })
  @ApiExtraModels(IngestJsonDocumentDto, IngestMultipartDocumentDto)
  @ApiConsumes('application/json', 'multipart/form-data')
  @ApiBody({
    required: true,
    description: 'JSON (IngestJsonDocumentDto) or a multipart form (IngestMultipartDocumentDto, any of the four types including PDF)',
    schema: { oneOf: [{ $ref: getSchemaPath(IngestJsonDocumentDto) }, { $ref: getSchemaPath(IngestMultipartDocumentDto) }] },
  })
  @ApiCreatedResponse({ type: IngestedDocumentDto, description: 'Stored (new, or its changed content replaced the old chunks)' })
  @ApiOkResponse({ type: IngestedDocumentDto, description: 'Unchanged: the same title and content were stored already; nothing re-embedded' })
  @ApiNotFoundResponse({ type: ProblemDto, description: 'No such collection' })
  @ApiPayloadTooLargeResponse({ type: ProblemDto, description: 'PAYLOAD_TOO_LARGE: over RAG_MAX_UPLOAD_BYTES' })
  @ApiUnsupportedMediaTypeResponse({ type: ProblemDto, description: 'UNSUPPORTED_MEDIA_TYPE' })
  async ingest(@Body() body: unknown, @CallMetadata() md: Metadata, @Res({ passthrough: true }) reply: FastifyReply): Promise<IngestedDocumentDto> {
    const req = isMultipartDocument(body) ? this.fromMultipart(body) : await this.fromJson(body);
    const call = this.rag.ingestDocument as unknown as WithOptions<ragV1.IngestDocumentRequest, ragV1.IngestDocumentResponse>;
    const res = await firstValueFrom(call.call(this.rag, req, md, { deadline: Date.now() + INGEST_DEADLINE_MS }));
    reply.status(res.unchanged ? 200 : 201);
    return { id: res.id, collection: res.collection, title: res.title, mimeType: req.mimeType, chunks: res.chunks, contentHash: res.contentHash, unchanged: res.unchanged };
  }

  private async fromJson(body: unknown): Promise<ragV1.IngestDocumentRequest> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new ValidationError('The request is not valid', [{ field: '(body)', message: 'must be a JSON object' }]);
    }
    const dto = plainToInstance(IngestJsonDocumentDto, body);
    const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true, stopAtFirstError: true, validationError: { target: false, value: false } });
    const violations = toFieldViolations(errors as never);
    const metadata = toMetadata(dto.metadata, 'metadata', violations);
    if (violations.length) throw new ValidationError('The request is not valid', violations);
    return { collection: dto.collection, title: dto.title, content: Buffer.from(dto.content, 'utf8'), mimeType: dto.mimeType, metadata, sourceUrl: dto.sourceUrl ?? '' };
  }

  private fromMultipart(body: MultipartDocument): ragV1.IngestDocumentRequest {
    const violations: FieldViolation[] = [];
    const { fields, file } = body;
    const extension = /\.([A-Za-z0-9]+)$/.exec(file.filename)?.[1]?.toLowerCase() ?? '';
    const declared = file.mimeType.split(';')[0].trim().toLowerCase();
    // The part's own type, unless it is the generic one browsers and curl send for unknown files.
    const mimeType = declared && declared !== 'application/octet-stream' ? declared : (EXTENSION_TYPES[extension] ?? declared);
    if (!UPLOAD_TYPES.has(mimeType)) throw new UnsupportedDocumentTypeError(`A file of type ${mimeType || 'unknown'}`);
    if (!fields.collection) violations.push({ field: 'collection', message: 'is required' });
    const title = fields.title ?? file.filename;
    if (!title) violations.push({ field: 'title', message: 'is required (or give the file a name)' });
    let metadata: Record<string, string> = {};
    if (fields.metadata !== undefined) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(fields.metadata);
      } catch {
        violations.push({ field: 'metadata', message: 'must be a JSON object' });
      }
      if (parsed !== undefined) metadata = toMetadata(parsed, 'metadata', violations);
    }
    if (violations.length) throw new ValidationError('The request is not valid', violations);
    return { collection: fields.collection, title, content: body[UPLOADED_BYTES], mimeType, metadata, sourceUrl: '' };
  }

  @Get('documents')
  @RequirePermissions('rag:read')
  @ApiOperation({ summary: 'List documents, oldest first (optionally of one collection)' })
  @ApiOkResponse({ type: DocumentPage })
  async listDocuments(@Query() q: ListDocumentsQueryDto, @CallMetadata() md: Metadata): Promise<Page<DocumentDto>> {
    return toPage(await firstValueFrom(this.rag.listDocuments({ page: pageRequest(q), collection: q.collection ?? '' }, md)), toDocument);
  }

  @Get('documents/:id')
  @RequirePermissions('rag:read')
  @ApiOperation({ summary: 'Get a document' })
  @ApiOkResponse({ type: DocumentDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  async getDocument(@Param('id', uuidPipe) id: string, @CallMetadata() md: Metadata): Promise<DocumentDto> {
    return toDocument(await firstValueFrom(this.rag.getDocument({ id }, md)));
  }

  @Delete('documents/:id')
  @HttpCode(204)
  @RequirePermissions('rag:write')
  @ApiOperation({ summary: 'Delete a document and its chunks' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ type: ProblemDto })
  async deleteDocument(@Param('id', uuidPipe) id: string, @CallMetadata() md: Metadata): Promise<void> {
    await firstValueFrom(this.rag.deleteDocument({ id }, md));
  }

  @Post('search')
  @HttpCode(200)
  @RequirePermissions('rag:read')
  @ApiOperation({ summary: 'Search a collection: hybrid (vectors + BM25 + exact identifiers, rank-fused), vector or keyword' })
  @ApiOkResponse({ type: SearchResponseDto })
  @ApiNotFoundResponse({ type: ProblemDto, description: 'No such collection' })
  async search(@Body() dto: SearchDto, @CallMetadata() md: Metadata): Promise<SearchResponseDto> {
    const { filter, filters } = toFilter(dto.filter);
    const call = this.rag.search as unknown as WithOptions<ragV1.SearchRequest, ragV1.SearchResponse>;
    const res = await firstValueFrom(
      call.call(this.rag, { collection: dto.collection, query: dto.query, k: dto.k ?? 0, filter, filters, mode: dto.mode ?? '' }, md, { deadline: Date.now() + SEARCH_DEADLINE_MS }),
    );
    return { results: (res.results ?? []).map(toResult) };
  }

  @Post('answer')
  @HttpCode(200)
  @RequirePermissions('rag:read')
  @ApiOperation({ summary: 'Answer a question from a collection, with checked citations (stream: true answers server-sent events)' })
  @ApiExtraModels(AnswerResponseDto)
  @ApiOkResponse({
    description: 'The answer; or (stream: true) `data: {"delta"}` events, `data: {"citations"}`, then `data: [DONE]`',
    content: {
      'application/json': { schema: { $ref: getSchemaPath(AnswerResponseDto) } },
      'text/event-stream': { schema: { type: 'string', description: 'Server-sent events' } },
    },
  })
  @ApiNotFoundResponse({ type: ProblemDto, description: 'No such collection' })
  @ApiServiceUnavailableResponse({ type: ProblemDto, description: 'UPSTREAM_UNAVAILABLE: the model did not answer' })
  async answer(@Body() dto: AnswerDto, @CallMetadata() md: Metadata, @Req() req: GatewayRequest, @Res() reply: FastifyReply): Promise<void> {
    const { filter, filters } = toFilter(dto.filter);
    const request: ragV1.AnswerRequest = { collection: dto.collection, question: dto.question, k: dto.k ?? 0, model: dto.model ?? '', filter, filters, mode: '' };
    if (!dto.stream) {
      const call = this.rag.answer as unknown as WithOptions<ragV1.AnswerRequest, ragV1.AnswerResponse>;
      const res = await firstValueFrom(call.call(this.rag, request, md, { deadline: Date.now() + ANSWER_DEADLINE_MS }));
      const out: AnswerResponseDto = { answer: res.answer, citations: (res.citations ?? []).map(toCitation) };
      reply.type('application/json').send(out);
      return;
    }
    const call = this.rag.streamAnswer as unknown as WithOptions<ragV1.AnswerRequest, ragV1.AnswerChunk>;
    const source = call.call(this.rag, request, md, { deadline: Date.now() + ANSWER_DEADLINE_MS });
    const relay = relayAnswerStream(source, reply.raw, String(req.id), toCitation);
    // A failure before rag's first message rejects here: a normal problem+json answer (404, 503, ...).
    await relay.started;
    reply.hijack();
    await relay.done;
  }
}
