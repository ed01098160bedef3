import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { PageQueryDto } from '../http/pagination';

// Shapes and types here; rag owns the rules and answers field violations too.
export const COLLECTION_NAME = /^[a-z0-9][a-z0-9-]{2,62}$/;
export const JSON_DOCUMENT_TYPES = ['text/plain', 'text/markdown', 'text/html'];
export const SEARCH_MODES = ['hybrid', 'vector', 'keyword'];
const MODEL = /^[A-Za-z0-9._:-]+(\/[A-Za-z0-9._:/-]+)?$/;

const METADATA_DOC = 'String, number or boolean values (stored as text); copied onto every chunk, and what search filters match';
const FILTER_DOC = 'Metadata conditions, all must hold: `{"key": value}` (equal) or `{"key": {"$in": [v1, v2]}}` (any of)';

export class CreateCollectionDto {
  @ApiProperty({ pattern: COLLECTION_NAME.source, example: 'product-docs' })
  @Matches(COLLECTION_NAME, { message: 'must be 3-63 lower-case letters, digits or "-", starting with a letter or digit' }) @IsString()
  name!: string;

  @ApiPropertyOptional({ maxLength: 1000 })
  @IsOptional() @MaxLength(1000) @IsString()
  description?: string;

  @ApiPropertyOptional({ example: 'local/use-512', description: 'Embedding model of the collection (fixed): `local/use-512` (default, offline) or an ai-gateway embedding model' })
  @IsOptional() @MaxLength(200) @Matches(MODEL, { message: 'must be a model id such as local/use-512' }) @IsString()
  embeddingModel?: string;
}

export class CollectionDto {
  @ApiProperty() name!: string;
  @ApiProperty() description!: string;
  @ApiProperty({ description: 'Documents in the collection' }) documents!: number;
  @ApiProperty({ description: 'Chunks of their current versions' }) chunks!: number;
  @ApiProperty() embeddingModel!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class IngestJsonDocumentDto {
  @ApiProperty({ pattern: COLLECTION_NAME.source }) @Matches(COLLECTION_NAME, { message: 'is not a collection name' }) @IsString()
  collection!: string;

  @ApiProperty({ maxLength: 500, description: 'Identifies the document in its collection: the same title again replaces (or, unchanged, keeps) it' })
  @MaxLength(500) @MinLength(1) @IsString()
  title!: string;

  @ApiProperty({ description: 'The document text' }) @MinLength(1) @IsString()
  content!: string;

  @ApiProperty({ enum: JSON_DOCUMENT_TYPES }) @IsIn(JSON_DOCUMENT_TYPES, { message: 'must be text/plain, text/markdown or text/html (PDF: upload it as multipart/form-data)' })
  mimeType!: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] }, description: METADATA_DOC })
  @IsOptional() @IsObject()
  metadata?: Record<string, unknown>;

  @ApiPropertyOptional({ maxLength: 2048, format: 'uri' }) @IsOptional() @MaxLength(2048) @IsString()
  sourceUrl?: string;
}

/** The multipart form of POST /documents (documentation only: the parser reads it). */
export class IngestMultipartDocumentDto {
  @ApiProperty({ type: 'string', format: 'binary', description: 'text/plain, text/markdown, text/html or application/pdf (type from the part, else the file name)' })
  file!: unknown;
  @ApiProperty({ pattern: COLLECTION_NAME.source }) collection!: string;
  @ApiPropertyOptional({ description: 'Default: the file name' }) title?: string;
  @ApiPropertyOptional({ description: 'JSON object as text' }) metadata?: string;
}

export class IngestedDocumentDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() collection!: string;
  @ApiProperty() title!: string;
  @ApiProperty() mimeType!: string;
  @ApiProperty({ description: 'Chunks of the stored version' }) chunks!: number;
  @ApiProperty({ example: 'sha256:9f86d081…' }) contentHash!: string;
  @ApiProperty({ description: 'True when the stored document already had this content (200, nothing re-embedded)' }) unchanged!: boolean;
}

export class DocumentDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() collection!: string;
  @ApiProperty() title!: string;
  @ApiProperty() mimeType!: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) metadata!: Record<string, string>;
  @ApiProperty({ type: String, nullable: true }) sourceUrl!: string | null;
  @ApiProperty() chunks!: number;
  @ApiProperty() contentHash!: string;
  @ApiProperty() sizeBytes!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class ListDocumentsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Only this collection (404 when it does not exist)' })
  @IsOptional() @Matches(COLLECTION_NAME, { message: 'is not a collection name' }) @IsString()
  collection?: string;
}

export class SearchDto {
  @ApiProperty({ pattern: COLLECTION_NAME.source }) @Matches(COLLECTION_NAME, { message: 'is not a collection name' }) @IsString()
  collection!: string;

  @ApiProperty({ maxLength: 2000 }) @MaxLength(2000) @MinLength(1) @IsString()
  query!: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 50, default: 5 }) @IsOptional() @Max(50) @Min(1) @IsInt()
  k?: number;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: FILTER_DOC, example: { product: 'gateway', version: { $in: ['2', '3'] } } })
  @IsOptional() @IsObject()
  filter?: Record<string, unknown>;

  @ApiPropertyOptional({ enum: SEARCH_MODES, default: 'hybrid', description: 'hybrid: vectors, keywords (BM25) and exact identifiers fused by reciprocal rank; or one list' })
  @IsOptional() @IsIn(SEARCH_MODES)
  mode?: string;
}

export class SearchResultDto {
  @ApiProperty({ format: 'uuid' }) documentId!: string;
  @ApiProperty() chunkId!: string;
  @ApiProperty() title!: string;
  @ApiProperty() text!: string;
  @ApiProperty({ description: 'Higher is better; comparable within one answer (modes score differently)' }) score!: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) metadata!: Record<string, string>;
  @ApiProperty({ type: [String], description: 'The headings the chunk sits under' }) headingPath!: string[];
  @ApiProperty({ type: Number, nullable: true, description: 'PDF page the chunk starts on' }) page!: number | null;
}

export class SearchResponseDto {
  @ApiProperty({ type: [SearchResultDto], description: 'Best first; no two with the same (or nearly the same) text' }) results!: SearchResultDto[];
}

export class AnswerDto {
  @ApiProperty({ pattern: COLLECTION_NAME.source }) @Matches(COLLECTION_NAME, { message: 'is not a collection name' }) @IsString()
  collection!: string;

  @ApiProperty({ maxLength: 2000 }) @MaxLength(2000) @MinLength(1) @IsString()
  question!: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 50, default: 5, description: 'Chunks retrieved as context' }) @IsOptional() @Max(50) @Min(1) @IsInt()
  k?: number;

  @ApiPropertyOptional({ description: 'ai-gateway model or alias; default RAG_ANSWER_MODEL' })
  @IsOptional() @MaxLength(200) @Matches(MODEL, { message: 'must be a model id or alias' }) @IsString()
  model?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: FILTER_DOC }) @IsOptional() @IsObject()
  filter?: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'Answer text/event-stream: `data: {"delta"}` events, then `data: {"citations"}`, then `data: [DONE]`' })
  @IsOptional() @Transform(({ value }) => value) @IsBoolean()
  stream?: boolean;
}

export class CitationDto {
  @ApiProperty({ format: 'uuid' }) documentId!: string;
  @ApiProperty() chunkId!: string;
  @ApiProperty() title!: string;
  @ApiProperty({ description: 'Text of that chunk, verbatim, supporting the sentence that cites it' }) quote!: string;
}

export class AnswerResponseDto {
  @ApiProperty({ description: 'With [n] markers where a sentence cites a source; says so when nothing relevant was found' }) answer!: string;
  @ApiProperty({ type: [CitationDto], description: 'Every one checked: a chunk retrieved for this question, and a quote that is its text' }) citations!: CitationDto[];
}
