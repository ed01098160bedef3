// rag on real PostgreSQL, RabbitMQ and Chroma (its own `chroma run`), with the in-process
// USE-512 embeddings and a fake ai-gateway speaking the real gRPC contract.
import { status, type Metadata } from '@grpc/grpc-js';
import amqp from 'amqplib';
import { DataSource } from 'typeorm';
import type { TestService, TestUser } from '@aether/testing';
import { waitFor } from '@aether/testing';
import { LocalEmbeddings } from '../src/embeddings/local-embeddings';
import { VectorStore } from '../src/vectors/vector-store';
import { makePdf } from './support/pdf';
import { RagStores, ragClient, startRag } from './support/rag-app';

jest.setTimeout(120_000);

describe('rag service', () => {
  const stores = new RagStores();
  let service: TestService;
  let rag: ReturnType<typeof ragClient>;
  let dev: TestUser;
  let viewer: TestUser;
  let md: Metadata;
  let amqpConn: amqp.ChannelModel;
  const events: { type: string; body: any }[] = [];

  const text = (s: string) => Buffer.from(s, 'utf8');
  const ingest = (collection: string, title: string, content: string | Buffer, mimeType = 'text/markdown', metadata: Record<string, string> = {}) =>
    rag.call('IngestDocument', { collection, title, content: typeof content === 'string' ? text(content) : content, mimeType, metadata }, md);
  const search = (collection: string, query: string, extra: Record<string, unknown> = {}) =>
    rag.call<{ results: any[] }>('Search', { collection, query, k: 5, ...extra }, md).then((r) => r.results);

  beforeAll(async () => {
    await stores.start();
    amqpConn = await amqp.connect(stores.vhost.url);
    const ch = await amqpConn.createChannel();
    await ch.assertExchange('aether.events', 'topic', { durable: true });
    const { queue } = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(queue, 'aether.events', 'rag.#');
    await ch.consume(queue, (m) => m && events.push({ type: m.fields.routingKey, body: JSON.parse(m.content.toString()) }), { noAck: true });
    service = await startRag(stores);
    rag = ragClient(service.grpcPort!);
    dev = await stores.user('developer');
    viewer = await stores.user('viewer');
    md = dev.metadata();
    await rag.call('CreateCollection', { name: 'docs', description: 'Product docs' }, md);
  });

  afterAll(async () => {
    rag?.close();
    await service?.close();
    await amqpConn?.close().catch(() => undefined);
    await stores.stop();
  });

  it('is ready once PostgreSQL, RabbitMQ and Chroma answer', async () => {
    const res = await fetch(`http://127.0.0.1:${service.httpPort}/readyz`);
    expect(res.status).toBe(200);
    expect(JSON.stringify(await res.json())).toContain('chroma');
  });

  it('creates collections once (409 again), lists and gets them; viewers may not create', async () => {
    const c = await rag.call('CreateCollection', { name: 'team-notes', description: 'Notes' }, md);
    expect(c).toMatchObject({ name: 'team-notes', description: 'Notes', documentCount: 0, chunkCount: 0, embeddingModel: 'local/use-512' });
    await expect(rag.call('CreateCollection', { name: 'team-notes' }, md)).rejects.toMatchObject({ code: status.ALREADY_EXISTS });
    await expect(rag.call('CreateCollection', { name: 'Bad Name' }, md)).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(rag.call('CreateCollection', { name: 'viewer-try' }, viewer.metadata())).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    const list = await rag.call<{ items: any[] }>('ListCollections', { page: { limit: 100 } }, viewer.metadata());
    expect(list.items.map((i) => i.name)).toEqual(expect.arrayContaining(['docs', 'team-notes']));
    await expect(rag.call('GetCollection', { name: 'nope-nope' }, md)).rejects.toMatchObject({ code: status.NOT_FOUND });
  });

  it('re-ingesting unchanged content embeds nothing and answers unchanged', async () => {
    const local = service.get(LocalEmbeddings);
    const spy = jest.spyOn(local, 'embed');
    const doc = '# Deploy\n\nDeployments roll out one replica at a time.\n\n## Rollback\n\nA failed rollout is rolled back automatically.';
    const first = await ingest('docs', 'deploy-guide', doc);
    expect(first).toMatchObject({ collection: 'docs', title: 'deploy-guide', unchanged: false, chunks: 2 });
    expect(first.contentHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockClear();
    const again = await ingest('docs', 'deploy-guide', doc);
    expect(again).toMatchObject({ id: first.id, unchanged: true, contentHash: first.contentHash });
    expect(spy).not.toHaveBeenCalled();
    // An edit re-embeds only the chunk that changed (embeddings are cached by chunk hash).
    await ingest('docs', 'deploy-guide', doc.replace('automatically', 'automatically within a minute'));
    expect(spy).toHaveBeenCalledTimes(1);
    expect(spy.mock.calls[0][1]).toHaveLength(1);
    spy.mockRestore();
  });

  it('an edited document replaces its chunks: the old text is never found again', async () => {
    const v1 = await ingest('docs', 'pricing', 'The premium plan costs forty credits per month.', 'text/plain');
    expect((await search('docs', 'premium plan forty credits', { mode: 'keyword' }))[0].text).toContain('forty credits');
    const v2 = await ingest('docs', 'pricing', 'The premium plan costs ninety tokens per month.', 'text/plain');
    expect(v2).toMatchObject({ id: v1.id, unchanged: false });
    for (const mode of ['keyword', 'vector', 'hybrid']) {
      const results = await search('docs', 'premium plan forty credits per month', { mode, k: 50 });
      expect(results.some((r) => r.text.includes('forty'))).toBe(false);
      expect(results.filter((r) => r.documentId === v1.id).map((r) => r.text)).toEqual(['The premium plan costs ninety tokens per month.']);
    }
    const doc = await rag.call('GetDocument', { id: v1.id }, md);
    expect(doc).toMatchObject({ chunks: 1, contentHash: v2.contentHash });
  });

  it('while a document is replaced, every search sees exactly one version (never both, never neither)', async () => {
    const versionText = (n: number) => `Release notes say the quorum setting is version${n} of the cluster protocol.`;
    await ingest('docs', 'release-notes', versionText(0), 'text/plain');
    let stop = false;
    const seen: string[][] = [];
    const searching = (async () => {
      while (!stop) {
        for (const mode of ['keyword', 'hybrid', 'vector']) {
          const results = await search('docs', 'release notes quorum setting cluster protocol', { k: 50, mode });
          seen.push(results.filter((r) => r.title === 'release-notes').map((r) => r.text));
        }
      }
    })();
    for (let n = 1; n <= 6; n++) await ingest('docs', 'release-notes', versionText(n), 'text/plain');
    stop = true;
    await searching;
    expect(seen.length).toBeGreaterThan(3);
    for (const texts of seen) expect(texts).toHaveLength(1);
  });

  it('a search that overlaps a replacement reads one snapshot: every list sees the version of its start', async () => {
    await ingest('docs', 'overlap-doc', 'The overlap quorum rule reads version alpha of the overlap protocol.', 'text/plain');
    const vectors = service.get(VectorStore);
    const original = vectors.query.bind(vectors);
    // The replacement commits while the search waits for Chroma (after its keyword lists ran).
    const spy = jest.spyOn(vectors, 'query').mockImplementationOnce(async (...args) => {
      await ingest('docs', 'overlap-doc', 'The overlap quorum rule reads version beta of the overlap protocol.', 'text/plain');
      return original(...args);
    });
    const results = await search('docs', 'overlap quorum rule protocol version', { k: 50 });
    spy.mockRestore();
    expect(results.filter((r) => r.title === 'overlap-doc').map((r) => r.text)).toEqual(['The overlap quorum rule reads version alpha of the overlap protocol.']);
    const after = await search('docs', 'overlap quorum rule protocol version', { k: 50 });
    expect(after.filter((r) => r.title === 'overlap-doc').map((r) => r.text)).toEqual(['The overlap quorum rule reads version beta of the overlap protocol.']);
  });

  it('re-ranks the hybrid head with similarities from the embedding cache, asking Chroma only for chunks whose cached vector is gone', async () => {
    await rag.call('CreateCollection', { name: 'rerank', description: 'head re-rank' }, md);
    const topics = ['pressure', 'flow', 'seal', 'torque', 'leak', 'gauge'];
    for (const [i, topic] of topics.entries()) await ingest('rerank', `rr-${i}`, `Zephyrine valve note ${i}: the ${topic} checks of the zephyrine valve.`, 'text/plain');
    const vectors = service.get(VectorStore);
    const original = vectors.query.bind(vectors);
    // The vector list keeps one hit, so the head holds lexical hits whose similarity it did not give.
    const oneVectorHit = async (...args: Parameters<VectorStore['query']>) => (await original(...args)).slice(0, 1);
    const similarities = jest.spyOn(vectors, 'similarities');
    try {
      jest.spyOn(vectors, 'query').mockImplementationOnce(oneVectorHit);
      const cached = await search('rerank', 'zephyrine valve checks', { k: 6 });
      expect(cached).toHaveLength(6);
      expect(similarities).not.toHaveBeenCalled();

      await service.get(DataSource).query(`DELETE FROM rag_embeddings WHERE content_hash IN (SELECT content_hash FROM rag_chunks WHERE collection = 'rerank')`);
      jest.spyOn(vectors, 'query').mockImplementationOnce(oneVectorHit);
      const fromChroma = await search('rerank', 'zephyrine valve checks', { k: 6 });
      expect(similarities).toHaveBeenCalledTimes(1);
      expect(similarities.mock.calls[0][2].length).toBeGreaterThanOrEqual(5);
      // The same vectors either way, so the same order.
      expect(fromChroma.map((r) => r.chunkId)).toEqual(cached.map((r) => r.chunkId));
    } finally {
      jest.restoreAllMocks();
    }
  });

  it('keeps a fenced code block whole in one chunk', async () => {
    const code = Array.from({ length: 80 }, (_, i) => `  retry_budget_${i} = compute(${i})`).join('\n');
    await ingest('docs', 'code-sample', `# Retry budgets\n\nHow the retry budget is computed:\n\n\`\`\`python\ndef budgets():\n${code}\n\`\`\`\n\nThat is all.`);
    const results = await search('docs', 'retry_budget_42', { k: 10 });
    const hit = results.find((r) => r.text.includes('retry_budget_42'));
    expect(hit.text).toContain('```python\ndef budgets():');
    expect(hit.text).toContain('retry_budget_0 = compute(0)');
    expect(hit.text).toContain('retry_budget_79 = compute(79)\n```');
    expect(hit.headingPath).toEqual(['Retry budgets']);
  });

  it('refuses a corrupt PDF, binary text and unknown types with INVALID_ARGUMENT (never INTERNAL)', async () => {
    for (const [content, mimeType] of [
      [Buffer.from('%PDF-1.7\n1 0 obj garbage'), 'application/pdf'],
      [Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0xff]), 'text/plain'],
      [text('hello'), 'application/zip'],
    ] as const) {
      await expect(ingest('docs', `bad-${mimeType}`, content, mimeType)).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    }
  });

  it('ingests PDFs with page numbers and HTML as its main content', async () => {
    await ingest('docs', 'manual.pdf', makePdf(['The boiler must be serviced every spring.', 'The thermostat battery lasts two winters.']), 'application/pdf');
    const [hit] = await search('docs', 'thermostat battery winters', { mode: 'keyword' });
    expect(hit).toMatchObject({ title: 'manual.pdf', pageStart: 2, pageEnd: 2 });
    await ingest('docs', 'status-page', `<html><body><nav>Menu Login Signup Pricing</nav><main><h1>Incident review</h1><p>${'The outage came from an expired certificate on the load balancer. '.repeat(4)}</p></main><script>var signupTracking = 1;</script></body></html>`, 'text/html');
    const html = await search('docs', 'expired certificate load balancer', { mode: 'keyword' });
    expect(html[0].title).toBe('status-page');
    expect(html[0].headingPath).toEqual(['Incident review']);
    expect(await search('docs', 'signupTracking', { mode: 'keyword' })).toEqual([]);
  });

  it('finds the document of an identifier first (exact tokens), which full text splits', async () => {
    await ingest('errors', 'x', 'x').catch(() => undefined);
    await rag.call('CreateCollection', { name: 'errors' }, md);
    await ingest('errors', 'auth-errors', '# Auth errors\n\nERR_AUTH_401 means the access token is missing or expired.');
    await ingest('errors', 'auth-other', '# Auth codes\n\nAn auth error with code 401 and 403 appears when the err field is set: auth err 401 auth err 401.');
    await ingest('errors', 'rate-errors', '# Rate limits\n\nERR_RATE_429 means too many requests.');
    const [first] = await search('errors', 'what does ERR_AUTH_401 mean');
    expect(first.title).toBe('auth-errors');
  });

  it('finds a paraphrase with no shared words through vectors', async () => {
    await rag.call('CreateCollection', { name: 'prose' }, md);
    await ingest('prose', 'pet-note', 'The kitten naps on the sofa all afternoon.', 'text/plain');
    await ingest('prose', 'tax', 'Quarterly invoices must include the value added tax number.', 'text/plain');
    await ingest('prose', 'rust', 'Compile the crate with cargo build in release mode.', 'text/plain');
    const query = 'a young cat sleeping on a couch';
    expect(await search('prose', query, { mode: 'keyword' })).toEqual([]);
    const [first] = await search('prose', query, { mode: 'vector' });
    expect(first.title).toBe('pet-note');
    const [hybrid] = await search('prose', query);
    expect(hybrid.title).toBe('pet-note');
  });

  it('applies metadata filters in every list', async () => {
    await rag.call('CreateCollection', { name: 'filtered' }, md);
    await ingest('filtered', 'eu-policy', 'Refunds for ERR_PAY_402 are issued within fourteen days.', 'text/plain', { region: 'eu', tier: 'gold' });
    await ingest('filtered', 'us-policy', 'Refunds for ERR_PAY_402 are issued within thirty days.', 'text/plain', { region: 'us', tier: 'gold' });
    await ingest('filtered', 'apac-policy', 'Refunds for ERR_PAY_402 are issued within twenty days.', 'text/plain', { region: 'apac', tier: 'silver' });
    for (const mode of ['vector', 'keyword', 'hybrid']) {
      const all = await search('filtered', 'refunds ERR_PAY_402 days', { mode, k: 10 });
      expect(all).toHaveLength(3);
      const eu = await search('filtered', 'refunds ERR_PAY_402 days', { mode, k: 10, filter: { region: 'eu' } });
      expect(eu.map((r) => r.title)).toEqual(['eu-policy']);
      const some = await search('filtered', 'refunds ERR_PAY_402 days', { mode, k: 10, filters: [{ key: 'region', values: ['eu', 'apac'] }] });
      expect(some.map((r) => r.title).sort()).toEqual(['apac-policy', 'eu-policy']);
      const none = await search('filtered', 'refunds ERR_PAY_402 days', { mode, k: 10, filter: { region: 'eu', tier: 'silver' } });
      expect(none).toEqual([]);
    }
    await expect(search('filtered', 'refunds', { filter: { 'bad key!': 'x' } })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
  });

  it('collapses duplicate and near-duplicate chunks', async () => {
    await rag.call('CreateCollection', { name: 'dupes' }, md);
    const body = 'Backups run nightly at two in the morning and are kept for thirty days in cold storage.';
    await ingest('dupes', 'backup-a', body, 'text/plain');
    await ingest('dupes', 'backup-b', body.toUpperCase().replace(/\./g, '!'), 'text/plain');
    await ingest('dupes', 'backup-c', body.replace('thirty', 'thirty (30)'), 'text/plain');
    await ingest('dupes', 'restore', 'Restores from cold storage take about four hours.', 'text/plain');
    for (const mode of ['vector', 'keyword', 'hybrid']) {
      const results = await search('dupes', 'nightly backups cold storage days', { mode, k: 10 });
      expect(results.filter((r) => r.title.startsWith('backup-'))).toHaveLength(1);
      expect(new Set(results.map((r) => r.text)).size).toBe(results.length);
    }
  });

  it('reads further rows while duplicates leave fewer than k results among the best-ranked ones', async () => {
    await rag.call('CreateCollection', { name: 'quasar', description: 'many copies' }, md);
    const copy = 'Quasar flux capacitor alignment: align the quasar flux capacitor before the quasar flux test.';
    // 30 copies rank first (same words, same score), the distinct chunks after them.
    for (let i = 0; i < 30; i++) await ingest('quasar', `copy-${i}`, copy, 'text/plain');
    const distinct = ['pressure', 'torque', 'voltage', 'humidity'];
    for (const word of distinct) await ingest('quasar', `own-${word}`, `The quasar check of ${word} comes later in the runbook, after lunch.`, 'text/plain');
    const results = await search('quasar', 'quasar flux capacitor alignment', { k: 5, mode: 'keyword' });
    expect(results).toHaveLength(5);
    expect(results.filter((r) => r.text === copy)).toHaveLength(1);
    expect(results.slice(1).map((r) => r.title).sort()).toEqual(distinct.map((w) => `own-${w}`).sort());
  });

  it('deletes documents and collections with their chunks', async () => {
    await rag.call('CreateCollection', { name: 'temporary' }, md);
    const d = await ingest('temporary', 'gone-soon', 'Ephemeral paragraph about zeppelins.', 'text/plain');
    await rag.call('DeleteDocument', { id: d.id }, md);
    await expect(rag.call('GetDocument', { id: d.id }, md)).rejects.toMatchObject({ code: status.NOT_FOUND });
    expect(await search('temporary', 'zeppelins', { mode: 'keyword' })).toEqual([]);
    await ingest('temporary', 'second', 'Another paragraph about airships.', 'text/plain');
    const page = await rag.call<{ items: any[] }>('ListDocuments', { collection: 'temporary' }, md);
    expect(page.items.map((i) => i.title)).toEqual(['second']);
    await rag.call('DeleteCollection', { name: 'temporary' }, md);
    await expect(rag.call('GetCollection', { name: 'temporary' }, md)).rejects.toMatchObject({ code: status.NOT_FOUND });
    await expect(search('temporary', 'airships')).rejects.toMatchObject({ code: status.NOT_FOUND });
  });

  it('publishes rag.document.ingested and rag.document.deleted through the outbox', async () => {
    await rag.call('CreateCollection', { name: 'evented' }, md);
    const d = await ingest('evented', 'evt', 'Event sourcing keeps every change.', 'text/plain');
    await ingest('evented', 'evt', 'Event sourcing keeps every change.', 'text/plain'); // unchanged: no event
    await rag.call('DeleteDocument', { id: d.id }, md);
    const mine = () => events.filter((e) => e.body.data?.document?.id === d.id);
    await waitFor(() => mine().length >= 2, { timeoutMs: 15_000, what: 'rag events' });
    await new Promise((r) => setTimeout(r, 500));
    expect(mine().map((e) => e.type)).toEqual(['rag.document.ingested', 'rag.document.deleted']);
    expect(mine()[0].body).toMatchObject({ subject: dev.id, data: { document: { title: 'evt', collection: 'evented', chunks: 1 } } });
  });

  it('embeds with an ai-gateway model chosen per collection, as the caller', async () => {
    await rag.call('CreateCollection', { name: 'remote-vectors', embeddingModel: 'fake/embed-64' }, md);
    await ingest('remote-vectors', 'r1', 'Sharding splits tables across nodes.', 'text/plain');
    const calls = stores.ai.embeddings.filter((e) => e.model === 'fake/embed-64');
    expect(calls).toHaveLength(1);
    expect(calls[0].inputs[0]).toContain('Sharding splits tables across nodes.');
    const [hit] = await search('remote-vectors', 'sharding tables nodes', { mode: 'vector' });
    expect(hit.title).toBe('r1');
  });
});
