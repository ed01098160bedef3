import { createHash } from 'node:crypto';
import { status as GrpcStatus } from '@grpc/grpc-js';
import Busboy from '@fastify/busboy';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError, ValidationError } from '@aether/service-kit';
import { jsonBodyParser } from '../http/json-body-parser';

/** Where documents are posted (JSON or multipart). */
export const DOCUMENTS_PATH = '/api/v1/rag/documents';

/** What JSON adds around a document's text at most (field names, escapes are counted by the service). */
const JSON_OVERHEAD_BYTES = 256 * 1024;
/** multipart's own fields (collection, title, metadata) and boundaries. */
const MULTIPART_OVERHEAD_BYTES = 256 * 1024;

const JSON_TYPE = 'application/x-aether-rag-json';
const MULTIPART_TYPE = 'application/x-aether-rag-multipart';
const OTHER_TYPE = 'application/x-aether-rag-unsupported';
const ORIGINAL_CONTENT_TYPE = Symbol('aether.rag.originalContentType');

/** The bytes of an uploaded file, kept off the enumerable body (the idempotency fingerprint hashes the body, not 20 MiB). */
export const UPLOADED_BYTES = Symbol('aether.rag.uploadedBytes');

/** A multipart upload as the controller receives it. */
export interface MultipartDocument {
  fields: Record<string, string>;
  file: { filename: string; mimeType: string; size: number; sha256: string };
  [UPLOADED_BYTES]: Buffer;
}

export function isMultipartDocument(body: unknown): body is MultipartDocument {
  return typeof body === 'object' && body !== null && UPLOADED_BYTES in body;
}

export class UploadTooLargeError extends DomainError {
  readonly grpcStatus = GrpcStatus.INVALID_ARGUMENT;
  readonly httpStatus = 413;
  constructor(limit: number) {
    super('PAYLOAD_TOO_LARGE', `The document is larger than ${limit} bytes (RAG_MAX_UPLOAD_BYTES)`);
  }
}

export class UnsupportedDocumentTypeError extends DomainError {
  readonly grpcStatus = GrpcStatus.INVALID_ARGUMENT;
  readonly httpStatus = 415;
  constructor(what: string) {
    super('UNSUPPORTED_MEDIA_TYPE', `${what}: send application/json, or multipart/form-data with a text/plain, text/markdown, text/html or application/pdf file`);
  }
}

type RagRequest = FastifyRequest & { [ORIGINAL_CONTENT_TYPE]?: string };

const FIELDS = new Set(['collection', 'title', 'metadata']);

/** multipart/form-data → { fields, file } with the file's bytes; 413 past the limit, 400 when malformed. */
function parseMultipart(req: RagRequest, payload: NodeJS.ReadableStream, limit: number, done: (err: Error | null, body?: unknown) => void): void {
  const headers = { ...req.headers, 'content-type': req[ORIGINAL_CONTENT_TYPE] ?? '' };
  let finished = false;
  const finish = (err: Error | null, body?: unknown) => {
    if (finished) return;
    finished = true;
    if (err) payload.unpipe?.();
    if (err) (payload as NodeJS.ReadableStream & { resume(): void }).resume(); // drain the rest, answer at once
    done(err, body);
  };
  let busboy: InstanceType<typeof Busboy>;
  try {
    busboy = new Busboy({ headers: headers as never, limits: { fileSize: limit, files: 1, fields: 10, fieldSize: 64 * 1024, parts: 12 } });
  } catch {
    finish(new ValidationError('The request is not valid', [{ field: '(body)', message: 'is not multipart/form-data with a boundary' }]));
    return;
  }
  const fields: Record<string, string> = {};
  let file: { filename: string; mimeType: string; chunks: Buffer[]; size: number } | undefined;
  let fileDone: Promise<void> = Promise.resolve();
  busboy.on('field', (name, value, _nameTruncated, valueTruncated) => {
    if (!FIELDS.has(name)) return finish(new ValidationError('The request is not valid', [{ field: name, message: 'is not a field of a document upload' }]));
    if (valueTruncated) return finish(new ValidationError('The request is not valid', [{ field: name, message: 'is too long' }]));
    fields[name] = value;
  });
  busboy.on('file', (name, stream, filename, _encoding, mimeType) => {
    if (name !== 'file' || file) {
      stream.resume();
      return finish(new ValidationError('The request is not valid', [{ field: name, message: 'only one file, in the field "file"' }]));
    }
    const current = { filename: filename ?? '', mimeType: mimeType ?? '', chunks: [] as Buffer[], size: 0 };
    file = current;
    fileDone = new Promise<void>((resolve) => {
      stream.on('data', (d: Buffer) => {
        current.chunks.push(d);
        current.size += d.length;
      });
      stream.on('limit', () => finish(new UploadTooLargeError(limit)));
      stream.on('end', () => resolve());
      stream.on('error', () => resolve());
    });
  });
  busboy.on('partsLimit', () => finish(new ValidationError('The request is not valid', [{ field: '(body)', message: 'has too many parts' }])));
  busboy.on('filesLimit', () => finish(new ValidationError('The request is not valid', [{ field: 'file', message: 'only one file' }])));
  busboy.on('error', () => finish(new ValidationError('The request is not valid', [{ field: '(body)', message: 'is not well-formed multipart/form-data' }])));
  busboy.on('finish', () => {
    void fileDone.then(() => {
      if (!file) return finish(new ValidationError('The request is not valid', [{ field: 'file', message: 'is required' }]));
      const bytes = Buffer.concat(file.chunks);
      const body: MultipartDocument = {
        fields,
        file: { filename: file.filename, mimeType: file.mimeType, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') },
        [UPLOADED_BYTES]: bytes,
      };
      finish(null, body);
    });
  });
  payload.on('error', () => finish(new ValidationError('The request is not valid', [{ field: '(body)', message: 'was cut off' }])));
  payload.pipe(busboy);
}

/**
 * The document route takes JSON (up to RAG_MAX_UPLOAD_BYTES plus JSON's overhead, instead of
 * the gateway's 1 MiB) or multipart/form-data (one file up to RAG_MAX_UPLOAD_BYTES, else 413);
 * any other type is a 415. An onRequest hook re-labels the content type of that route's
 * requests only, so every other route keeps the gateway's JSON-only parsing.
 */
export function installDocumentUploadParsers(fastify: FastifyInstance, maxUploadBytes: number): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    const path = request.url.split('?')[0];
    if (request.method === 'POST' && path === DOCUMENTS_PATH) {
      const type = (request.headers['content-type'] ?? '').toLowerCase();
      const essence = type.split(';')[0].trim();
      (request as RagRequest)[ORIGINAL_CONTENT_TYPE] = request.headers['content-type'] ?? '';
      if (essence === 'application/json') request.headers['content-type'] = JSON_TYPE;
      else if (essence === 'multipart/form-data') {
        const declared = Number(request.headers['content-length']);
        if (Number.isFinite(declared) && declared > maxUploadBytes + MULTIPART_OVERHEAD_BYTES) return done(new UploadTooLargeError(maxUploadBytes));
        request.headers['content-type'] = MULTIPART_TYPE;
      } else if (type) request.headers['content-type'] = OTHER_TYPE;
    }
    done();
  });
  fastify.addContentTypeParser(JSON_TYPE, { parseAs: 'string', bodyLimit: maxUploadBytes + JSON_OVERHEAD_BYTES }, jsonBodyParser(fastify));
  fastify.addContentTypeParser(MULTIPART_TYPE, (request, payload, done) => parseMultipart(request as RagRequest, payload, maxUploadBytes, done));
  fastify.addContentTypeParser(OTHER_TYPE, (request, payload, done) => {
    payload.resume();
    done(new UnsupportedDocumentTypeError(`Content type ${(request as RagRequest)[ORIGINAL_CONTENT_TYPE] ?? ''}`.trim()), undefined);
  });
}
