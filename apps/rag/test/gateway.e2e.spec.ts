/**
 * The RAG routes of the public API through real processes: `rag` and `api-gateway` from dist/
 * (run `npm run build` first), rag on its own PostgreSQL database, RabbitMQ vhost and Chroma
 * (`chroma run`), ai-gateway faked on its real gRPC contract.
 */
import { startApp, uniqueName, type StartedApp, type TestUser } from '@aether/testing';
import { makePdf } from './support/pdf';
import { RagStores } from './support/rag-app';

jest.setTimeout(180_000);

const stores = new RagStores();
const redisPrefix = `${uniqueName('gw_rag')}:`;
let rag: StartedApp | undefined;
let gateway: StartedApp | undefined;
let base: string;
let dev: TestUser;
let viewer: TestUser;
const UPLOAD_LIMIT = 64 * 1024;

beforeAll(async () => {
  await stores.start();
  rag = await startApp('rag', {
    DATABASE_URL: stores.db.url,
    RABBITMQ_URL: stores.vhost.url,
    AUTH_JWKS_URL: stores.identities.jwksUrl,
    CHROMA_URL: stores.chroma.url,
    AI_GATEWAY_GRPC_URL: stores.ai.url,
    RAG_ANSWER_MODEL: 'fake/chat',
    RAG_MAX_UPLOAD_BYTES: String(UPLOAD_LIMIT),
  });
  gateway = await startApp('api-gateway', {
    REDIS_URL: 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: redisPrefix,
    AUTH_JWKS_URL: stores.identities.jwksUrl,
    RAG_GRPC_URL: rag.grpcAddress,
    RAG_MAX_UPLOAD_BYTES: String(UPLOAD_LIMIT),
  });
  base = gateway.httpUrl;
  [dev, viewer] = await Promise.all([stores.user('developer'), stores.user('viewer')]);
});

afterAll(async () => {
  await gateway?.stop(5000);
  await rag?.stop(5000);
  await stores.stop();
});

interface Res {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

async function send(user: TestUser | undefined, method: string, url: string, init: { json?: unknown; body?: string | FormData; headers?: Record<string, string> } = {}): Promise<Res> {
  const res = await fetch(base + url, {
    method,
    headers: { ...(user ? user.bearer() : {}), ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
    body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
    signal: AbortSignal.timeout(30_000),
  }).catch((err) => {
    throw new Error(`${method} ${url}: ${String(err)}`);
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body, text };
}

function form(fields: Record<string, string>, file?: { name: string; type?: string; data: Buffer | string }): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  if (file) f.append('file', new Blob([file.data], file.type ? { type: file.type } : {}), file.name);
  return f;
}

describe('RAG routes', () => {
  it('creates, lists, gets and deletes collections (viewer: read only)', async () => {
    const created = await send(dev, 'POST', '/api/v1/rag/collections', { json: { name: 'gw-docs', description: 'Docs' } });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ name: 'gw-docs', description: 'Docs', documents: 0, chunks: 0, embeddingModel: 'local/use-512', createdAt: expect.any(String) });
    expect((await send(dev, 'POST', '/api/v1/rag/collections', { json: { name: 'gw-docs' } })).status).toBe(409);
    const bad = await send(dev, 'POST', '/api/v1/rag/collections', { json: { name: 'No', extra: 1 } });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect((await send(viewer, 'POST', '/api/v1/rag/collections', { json: { name: 'viewer-col' } })).status).toBe(403);
    const list = await send(viewer, 'GET', '/api/v1/rag/collections?limit=10');
    expect(list.status).toBe(200);
    expect(list.body.items.map((c: any) => c.name)).toContain('gw-docs');
    expect((await send(viewer, 'GET', '/api/v1/rag/collections/gw-docs')).body.name).toBe('gw-docs');
    expect((await send(viewer, 'GET', '/api/v1/rag/collections/missing-one')).status).toBe(404);
    await send(dev, 'POST', '/api/v1/rag/collections', { json: { name: 'gw-temp' } });
    expect((await send(dev, 'DELETE', '/api/v1/rag/collections/gw-temp')).status).toBe(204);
    expect((await send(dev, 'GET', '/api/v1/rag/collections/gw-temp')).status).toBe(404);
  });

  it('ingests JSON: 201, then 200 unchanged for the same content; lists, gets and deletes documents', async () => {
    const doc = { collection: 'gw-docs', title: 'errors', content: '# Errors\n\nERR_QUOTA_507 means the disk quota is used up.', mimeType: 'text/markdown', metadata: { team: 'storage', version: 3 } };
    const first = await send(dev, 'POST', '/api/v1/rag/documents', { json: doc });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ id: expect.any(String), collection: 'gw-docs', title: 'errors', mimeType: 'text/markdown', chunks: 1, contentHash: expect.stringMatching(/^sha256:/), unchanged: false });
    const again = await send(dev, 'POST', '/api/v1/rag/documents', { json: doc });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: first.body.id, unchanged: true });
    const got = await send(viewer, 'GET', `/api/v1/rag/documents/${first.body.id}`);
    expect(got.body).toMatchObject({ title: 'errors', metadata: { team: 'storage', version: '3' }, chunks: 1, sourceUrl: null });
    const page = await send(viewer, 'GET', '/api/v1/rag/documents?collection=gw-docs');
    expect(page.body.items.map((d: any) => d.id)).toEqual([first.body.id]);
    expect((await send(viewer, 'GET', '/api/v1/rag/documents?collection=nope-nope')).status).toBe(404);
    expect((await send(dev, 'POST', '/api/v1/rag/documents', { json: { ...doc, collection: 'nope-nope' } })).status).toBe(404);
    expect((await send(dev, 'POST', '/api/v1/rag/documents', { json: { ...doc, mimeType: 'application/pdf' } })).status).toBe(400);
    expect((await send(viewer, 'POST', '/api/v1/rag/documents', { json: doc })).status).toBe(403);
    const tmp = await send(dev, 'POST', '/api/v1/rag/documents', { json: { ...doc, title: 'tmp', content: 'temporary words' } });
    expect((await send(dev, 'DELETE', `/api/v1/rag/documents/${tmp.body.id}`)).status).toBe(204);
    expect((await send(dev, 'GET', `/api/v1/rag/documents/${tmp.body.id}`)).status).toBe(404);
  });

  it('ingests multipart uploads (PDF too); 413 over the limit, 415 for other types, 400 for an unreadable file', async () => {
    const pdf = await send(dev, 'POST', '/api/v1/rag/documents', {
      body: form({ collection: 'gw-docs', metadata: '{"team":"hardware"}' }, { name: 'boiler.pdf', type: 'application/pdf', data: makePdf(['Boilers need a yearly service.', 'Radiators are bled in autumn.']) }),
    });
    expect(pdf.status).toBe(201);
    expect(pdf.body).toMatchObject({ title: 'boiler.pdf', mimeType: 'application/pdf', chunks: 2 });
    const md = await send(dev, 'POST', '/api/v1/rag/documents', { body: form({ collection: 'gw-docs', title: 'notes' }, { name: 'notes.md', data: '# Notes\n\nPlain markdown notes.' }) });
    expect(md.body).toMatchObject({ title: 'notes', mimeType: 'text/markdown' });

    const big = await send(dev, 'POST', '/api/v1/rag/documents', { body: form({ collection: 'gw-docs' }, { name: 'big.txt', type: 'text/plain', data: 'x'.repeat(UPLOAD_LIMIT + 1) }) });
    expect(big.status).toBe(413);
    expect(big.body.code).toBe('PAYLOAD_TOO_LARGE');
    const zip = await send(dev, 'POST', '/api/v1/rag/documents', { body: form({ collection: 'gw-docs' }, { name: 'a.zip', type: 'application/zip', data: 'PK' }) });
    expect(zip.status).toBe(415);
    const xml = await send(dev, 'POST', '/api/v1/rag/documents', { body: '<doc/>', headers: { 'content-type': 'application/xml' } });
    expect(xml.status).toBe(415);
    const corrupt = await send(dev, 'POST', '/api/v1/rag/documents', { body: form({ collection: 'gw-docs' }, { name: 'bad.pdf', type: 'application/pdf', data: '%PDF-1.4\nnot really' }) });
    expect(corrupt.status).toBe(400);
    expect(corrupt.body.code).toBe('UNREADABLE_DOCUMENT');
    const broken = await send(dev, 'POST', '/api/v1/rag/documents', { body: '--x\r\nbroken', headers: { 'content-type': 'multipart/form-data; boundary=x' } });
    expect(broken.status).toBe(400);
    const noFile = await send(dev, 'POST', '/api/v1/rag/documents', { body: form({ collection: 'gw-docs' }) });
    expect(noFile.status).toBe(400);
    // Other routes still take JSON only.
    expect((await send(dev, 'POST', '/api/v1/rag/collections', { body: form({ name: 'via-form' }) })).status).toBe(415);
  });

  it('searches with filters; answers with checked citations, as JSON and as SSE', async () => {
    const search = await send(viewer, 'POST', '/api/v1/rag/search', { json: { collection: 'gw-docs', query: 'ERR_QUOTA_507', k: 3 } });
    expect(search.status).toBe(200);
    expect(search.body.results[0]).toMatchObject({ title: 'errors', metadata: { team: 'storage', version: '3' }, headingPath: ['Errors'], page: null });
    const filtered = await send(viewer, 'POST', '/api/v1/rag/search', { json: { collection: 'gw-docs', query: 'service boilers radiators', filter: { team: { $in: ['hardware'] } }, mode: 'keyword' } });
    expect(filtered.body.results.map((r: any) => r.title)).toEqual(['boiler.pdf', 'boiler.pdf']);
    expect(filtered.body.results.map((r: any) => r.page).sort()).toEqual([1, 2]);
    expect((await send(viewer, 'POST', '/api/v1/rag/search', { json: { collection: 'gw-docs', query: 'x', filter: { team: ['a'] } } })).status).toBe(400);
    expect((await send(viewer, 'POST', '/api/v1/rag/search', { json: { collection: 'gw-docs', query: 'x', k: 51 } })).status).toBe(400);
    expect((await send(viewer, 'POST', '/api/v1/rag/search', { json: { collection: 'missing-col', query: 'x' } })).status).toBe(404);

    stores.ai.options.chat = (req) => {
      const n = /^\[(\d+)\] errors$/m.exec(req.messages[0].content)?.[1];
      return ['ERR_QUOTA_507 means the disk ', `quota is used up [${n}]. Also [12].`];
    };
    const answer = await send(viewer, 'POST', '/api/v1/rag/answer', { json: { collection: 'gw-docs', question: 'What does ERR_QUOTA_507 mean?' } });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      answer: expect.stringMatching(/^ERR_QUOTA_507 means the disk quota is used up \[\d\]\. Also\.$/),
      citations: [{ documentId: expect.any(String), chunkId: expect.any(String), title: 'errors', quote: 'ERR_QUOTA_507 means the disk quota is used up.' }],
    });

    const sse = await send(viewer, 'POST', '/api/v1/rag/answer', { json: { collection: 'gw-docs', question: 'What does ERR_QUOTA_507 mean?', stream: true } });
    expect(sse.status).toBe(200);
    expect(sse.headers.get('content-type')).toContain('text/event-stream');
    const events = sse.text.split('\n\n').filter(Boolean).map((e) => e.replace(/^data: /, ''));
    expect(events.at(-1)).toBe('[DONE]');
    const citations = JSON.parse(events.at(-2)!);
    expect(citations.citations).toEqual(answer.body.citations);
    const deltas = events.slice(0, -2).map((e) => JSON.parse(e).delta).join('');
    expect(deltas).toBe(answer.body.answer);

    // Before the stream starts, errors are plain problem+json.
    const missing = await send(viewer, 'POST', '/api/v1/rag/answer', { json: { collection: 'missing-col', question: 'anything', stream: true } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    stores.ai.options.chat = () => {
      throw Object.assign(new Error('down'), { code: 14 });
    };
    const down = await send(viewer, 'POST', '/api/v1/rag/answer', { json: { collection: 'gw-docs', question: 'What does ERR_QUOTA_507 mean?', stream: true } });
    expect(down.status).toBe(503);
    expect(down.body.code).toBe('UPSTREAM_UNAVAILABLE');
  });

  it('needs a caller on every route', async () => {
    expect((await send(undefined, 'GET', '/api/v1/rag/collections')).status).toBe(401);
    expect((await send(undefined, 'POST', '/api/v1/rag/search', { json: { collection: 'gw-docs', query: 'x' } })).status).toBe(401);
  });
});
