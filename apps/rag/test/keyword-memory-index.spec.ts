// The in-memory copy of the keyword index on real PostgreSQL, RabbitMQ and Chroma: it ranks as the
// SQL ranker does (exhaustively), only at the generation the search's snapshot shows, follows
// ingests and deletes by reading just the changed documents, filters as SQL does, and gives way
// to the SQL ranker for a collection over the budget and for a re-created collection.
import type { Metadata } from '@grpc/grpc-js';
import { MetricsService } from '@aether/service-kit';
import type { TestService } from '@aether/testing';
import { DataSource } from 'typeorm';
import { KeywordIndexCache } from '../src/search/keyword-index-cache';
import { SearchService } from '../src/search/search.service';
import { VectorStore } from '../src/vectors/vector-store';
import { RagStores, ragClient, startRag } from './support/rag-app';

jest.setTimeout(180_000);

const EXHAUSTIVE = 100_000_000;

describe('rag in-memory keyword index', () => {
  const stores = new RagStores();
  let service: TestService;
  let rag: ReturnType<typeof ragClient>;
  let md: Metadata;
  let sql: DataSource;
  let cache: KeywordIndexCache;

  const ingest = (collection: string, title: string, content: string, metadata: Record<string, string> = {}) =>
    rag.call<{ document: { id: string } }>('IngestDocument', { collection, title, content: Buffer.from(content), mimeType: 'text/plain', metadata }, md);
  const search = (collection: string, query: string, mode = 'keyword', filter: Record<string, string> = {}) =>
    rag.call<{ results: { chunkId: string; title: string; text: string; score: number }[] }>('Search', { collection, query, k: 10, mode, filter }, md).then((r) => r.results);
  const space = async (collection: string): Promise<string> => (await sql.query(`SELECT vector_space FROM rag_collections WHERE name = $1`, [collection]))[0].vector_space;
  /** A counter's values by its one label (ranker or kind). */
  const counts = async (svc: TestService, metric: string): Promise<Record<string, number>> => {
    const values = (await svc.get(MetricsService).registry.getSingleMetric(metric)?.get())?.values ?? [];
    const label = metric === 'rag_keyword_ranker_searches_total' ? 'ranker' : 'kind';
    return Object.fromEntries(values.map((v) => [String((v.labels as Record<string, string>)[label]), v.value]));
  };
  /** Ranker counts moved by `fn`. */
  const rankedBy = async (fn: () => Promise<unknown>, svc = service): Promise<{ memory: number; sql: number }> => {
    const before = await counts(svc, 'rag_keyword_ranker_searches_total');
    await fn();
    const after = await counts(svc, 'rag_keyword_ranker_searches_total');
    return { memory: (after.memory ?? 0) - (before.memory ?? 0), sql: (after.sql ?? 0) - (before.sql ?? 0) };
  };

  const topics = ['scheduler restarts crashed workers', 'ERR_QUOTA_429 means the tenant exceeded its quota', 'latency budgets for the checkout service', 'rotating the signing keys of the identity provider', 'backups of the task database run nightly'];
  const corpus = Array.from({ length: 24 }, (_, i) => [`doc-${i}`, `Note ${i}: ${topics[i % topics.length]}. ${'The platform team reviews it weekly. '.repeat(1 + (i % 4))}Owner team ${i % 3}.`] as const);

  beforeAll(async () => {
    await stores.start();
    service = await startRag(stores);
    rag = ragClient(service.grpcPort!);
    md = (await stores.user('developer')).metadata();
    sql = service.get(DataSource);
    cache = service.get(KeywordIndexCache);
    await rag.call('CreateCollection', { name: 'notes' }, md);
    for (const [title, text] of corpus) await ingest('notes', title, text, { team: title.endsWith('0') ? 'core' : 'edge' });
  });

  afterAll(async () => {
    rag?.close();
    await service?.close();
    await stores.stop();
  });

  it('ranks from memory once its copy is current, exactly as exhaustive BM25 in SQL', async () => {
    expect(await cache.warm(await space('notes'), 'notes')).toBeDefined();
    const searcher = service.get(SearchService);
    for (const query of ['scheduler workers', 'quota tenant ERR_QUOTA_429', 'platform team reviews weekly', 'owner team', 'signing keys rotation backups']) {
      let memory: { chunkId: string; score: number }[] = [];
      expect(await rankedBy(async () => (memory = await search('notes', query)))).toEqual({ memory: 1, sql: 0 });
      const reference = (await searcher.search({ collection: 'notes', query, k: 10, mode: 'keyword' }, undefined, undefined, EXHAUSTIVE, 'sql')).hits;
      expect(memory.map((r) => r.chunkId)).toEqual(reference.map((r) => r.chunkId));
      memory.forEach((r, i) => expect(r.score).toBeCloseTo(reference[i].score, 6));
      expect(memory.length).toBeGreaterThan(0);
    }
    // The exact-token list of hybrid comes from memory too: the identifier's note is first.
    const hybrid = await search('notes', 'what is ERR_QUOTA_429', 'hybrid');
    expect(hybrid[0].text).toContain('ERR_QUOTA_429');
  });

  it('never ranks from a stale copy: a changed document is searched by SQL until the copy has caught up, then from memory', async () => {
    await ingest('notes', 'zoo', 'The quokka enclosure opens at nine.');
    expect(await cache.warm(await space('notes'), 'notes')).toBeDefined();
    expect((await search('notes', 'quokka')).map((r) => r.title)).toEqual(['zoo']);
    const loadsBefore = await counts(service, 'rag_keyword_index_loads_total');

    await ingest('notes', 'zoo', 'The wombat enclosure opens at ten.');
    // The very next searches: the snapshot's generation is newer than the copy's, so SQL ranks them.
    let quokka: unknown[] = [];
    let wombat: { title: string }[] = [];
    const right = await rankedBy(async () => {
      quokka = await search('notes', 'quokka');
      wombat = await search('notes', 'wombat');
    });
    expect(quokka).toEqual([]);
    expect(wombat.map((r) => r.title)).toEqual(['zoo']);
    expect(right.sql).toBeGreaterThanOrEqual(1);

    const index = await cache.warm(await space('notes'), 'notes');
    expect(index?.deadChunks).toBeGreaterThanOrEqual(1); // the old version's chunk, marked dead
    const fromMemory = await rankedBy(async () => {
      quokka = await search('notes', 'quokka');
      wombat = await search('notes', 'wombat');
    });
    expect(fromMemory).toEqual({ memory: 2, sql: 0 });
    expect(quokka).toEqual([]);
    expect(wombat.map((r) => r.title)).toEqual(['zoo']);
    // Caught up by reading the changed document, not the whole collection.
    const loadsAfter = await counts(service, 'rag_keyword_index_loads_total');
    expect((loadsAfter.changes ?? 0) - (loadsBefore.changes ?? 0)).toBeGreaterThanOrEqual(1);
    expect((loadsAfter.full ?? 0) - (loadsBefore.full ?? 0)).toBe(0);

    // A deleted document is gone from memory too.
    const zoo = (await rag.call<{ items: { id: string; title: string }[] }>('ListDocuments', { collection: 'notes', page: { limit: 100 } }, md)).items.find((d) => d.title === 'zoo')!;
    await rag.call('DeleteDocument', { id: zoo.id }, md);
    await cache.warm(await space('notes'), 'notes');
    expect(await rankedBy(async () => expect(await search('notes', 'wombat')).toEqual([]))).toEqual({ memory: 1, sql: 0 });
  });

  it('applies metadata filters in memory exactly as the SQL ranker does', async () => {
    await cache.warm(await space('notes'), 'notes');
    const searcher = service.get(SearchService);
    const filters: Record<string, string>[] = [{ team: 'core' }, { team: 'edge' }, { team: 'nobody' }, { region: 'eu' }];
    for (const filter of filters) {
      let results: { chunkId: string; title: string }[] = [];
      expect(await rankedBy(async () => (results = await search('notes', 'platform team owner', 'keyword', filter)))).toEqual({ memory: 1, sql: 0 });
      const reference = (await searcher.search({ collection: 'notes', query: 'platform team owner', k: 10, mode: 'keyword', filter }, undefined, undefined, EXHAUSTIVE, 'sql')).hits;
      expect(results.map((r) => r.chunkId)).toEqual(reference.map((r) => r.chunkId));
      if (filter.team === 'core') expect(results.length).toBeGreaterThan(0);
      if (filter.team === 'core') expect(results.every((r) => r.title.endsWith('0'))).toBe(true);
    }
    // The filter is applied while ranking, not after: 30 better matches outside it fill the whole
    // depth a k = 1 search ranks (24), and the one chunk inside it is still found.
    await rag.call('CreateCollection', { name: 'crowd' }, md);
    for (let i = 0; i < 30; i++) await ingest('crowd', `loud-${i}`, `Crowd marker ${i}: crowd, crowd, crowd marker.`, { team: 'edge' });
    await ingest('crowd', 'quiet', 'A crowd marker of the core team, with a longer sentence around it so it ranks below the others.', { team: 'core' });
    await cache.warm(await space('crowd'), 'crowd');
    let found: { title: string }[] = [];
    const crowd = await rankedBy(async () => (found = (await rag.call<{ results: { title: string }[] }>('Search', { collection: 'crowd', query: 'crowd marker', k: 1, mode: 'keyword', filter: { team: 'core' } }, md)).results));
    expect(crowd).toEqual({ memory: 1, sql: 0 });
    expect(found.map((r) => r.title)).toEqual(['quiet']);
    // A filtered vector search: Chroma asked unfiltered for more, the copy's mask filtering them —
    // the same chunks as Chroma's own (slow) filter gives.
    const vectors = service.get(VectorStore);
    const query = jest.spyOn(vectors, 'query');
    try {
      const edge = { team: 'edge' };
      const viaMask = (await searcher.search({ collection: 'notes', query: 'the scheduler restarts workers', k: 10, mode: 'vector', filter: edge })).hits;
      expect(query.mock.calls.at(-1)![3]).toEqual([]); // unfiltered in Chroma
      const viaChroma = (await searcher.search({ collection: 'notes', query: 'the scheduler restarts workers', k: 10, mode: 'vector', filter: edge }, undefined, undefined, undefined, 'sql')).hits;
      expect(query.mock.calls.at(-1)![3]).toEqual([{ key: 'team', values: ['edge'] }]);
      expect(viaMask.length).toBe(10);
      expect(viaMask.map((h) => h.chunkId)).toEqual(viaChroma.map((h) => h.chunkId));
      expect(viaMask.every((h) => h.metadata.team === 'edge')).toBe(true);
      // A filter few chunks pass (1 of 31 in 'crowd'): asking enough nearest chunks unfiltered would
      // be most of the collection, so Chroma's own filter runs — and finds that one chunk.
      const quiet = (await searcher.search({ collection: 'crowd', query: 'crowd marker', k: 1, mode: 'vector', filter: { team: 'core' } })).hits;
      expect(query.mock.calls.at(-1)![3]).toEqual([{ key: 'team', values: ['core'] }]);
      expect(quiet.map((h) => h.title)).toEqual(['quiet']);
    } finally {
      query.mockRestore();
    }
    // Any of several values, in hybrid too.
    const either = await rag.call<{ results: { title: string }[] }>('Search', { collection: 'notes', query: 'quota tenant', k: 10, mode: 'hybrid', filters: [{ key: 'team', values: ['core', 'edge'] }] }, md);
    expect(either.results.length).toBeGreaterThan(0);
  });

  it('does not take a re-created collection of the same name for the old one', async () => {
    await rag.call('CreateCollection', { name: 'again' }, md);
    await ingest('again', 'first', 'The heron nests by the river.');
    expect(await cache.warm(await space('again'), 'again')).toBeDefined();
    await rag.call('DeleteCollection', { name: 'again' }, md);
    await rag.call('CreateCollection', { name: 'again' }, md);
    await ingest('again', 'second', 'The heron fishes at dawn.');
    // Same name and the same generation (one ingest each), another collection.
    expect((await search('again', 'heron')).map((r) => r.title)).toEqual(['second']);
    await cache.warm(await space('again'), 'again');
    expect((await search('again', 'heron')).map((r) => r.title)).toEqual(['second']);
  });

  it('keeps a collection larger than RAG_KEYWORD_MEMORY_POSTINGS on the SQL ranker, with the same answers', async () => {
    const small = await startRag(stores, { RAG_KEYWORD_MEMORY_POSTINGS: '20' });
    const client = ragClient(small.grpcPort!);
    try {
      expect(await small.get(KeywordIndexCache).warm(await space('notes'), 'notes')).toBeUndefined();
      let results: { chunkId: string }[] = [];
      const by = await rankedBy(async () => (results = (await client.call<{ results: { chunkId: string }[] }>('Search', { collection: 'notes', query: 'scheduler workers', k: 10, mode: 'keyword' }, md)).results), small);
      expect(by).toEqual({ memory: 0, sql: 1 });
      expect(results.map((r) => r.chunkId)).toEqual((await search('notes', 'scheduler workers')).map((r) => r.chunkId));
      expect((await counts(small, 'rag_keyword_index_loads_total')).too_large).toBeGreaterThanOrEqual(1);
    } finally {
      client.close();
      await small.close();
    }
  });
});
