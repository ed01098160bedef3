// The keyword index on real PostgreSQL, RabbitMQ and Chroma: document frequencies kept by ingest
// and delete, concurrent ingests into one collection, and the bounded BM25 ranker (a term more
// common than RAG_KEYWORD_TERM_DEPTH) scoring its results exactly.
import type { Metadata } from '@grpc/grpc-js';
import type { TestService } from '@aether/testing';
import { DataSource } from 'typeorm';
import { RagStores, ragClient, startRag } from './support/rag-app';

jest.setTimeout(180_000);

const TERM_DEPTH = 50;

describe('rag keyword index', () => {
  const stores = new RagStores();
  let service: TestService;
  let rag: ReturnType<typeof ragClient>;
  let md: Metadata;
  let sql: DataSource;

  const ingest = (collection: string, title: string, content: string) =>
    rag.call<{ id: string }>('IngestDocument', { collection, title, content: Buffer.from(content), mimeType: 'text/plain', metadata: {} }, md);
  const search = (collection: string, query: string) => rag.call<{ results: any[] }>('Search', { collection, query, k: 10, mode: 'keyword' }, md).then((r) => r.results);
  /** rag_terms against a count of the postings themselves: equal when ingest and delete keep them right. */
  const termStats = async (collection: string) => {
    const kept: { kind: string; term: string; df: number }[] = await sql.query(`SELECT kind, term, df FROM rag_terms WHERE collection = $1 ORDER BY kind, term`, [collection]);
    const counted: { kind: string; term: string; df: number }[] = await sql.query(
      `SELECT kind, term, count(*)::int AS df FROM rag_postings WHERE collection = $1 GROUP BY kind, term ORDER BY kind, term`,
      [collection],
    );
    return { kept, counted };
  };

  beforeAll(async () => {
    await stores.start();
    // The SQL ranker is what is tested here: the in-memory copy (keyword-memory-index.spec.ts) is off.
    service = await startRag(stores, { RAG_KEYWORD_TERM_DEPTH: String(TERM_DEPTH), DATABASE_POOL_SIZE: '20', RAG_KEYWORD_MEMORY_POSTINGS: '0' });
    rag = ragClient(service.grpcPort!);
    md = (await stores.user('developer')).metadata();
    sql = service.get(DataSource);
  });

  afterAll(async () => {
    rag?.close();
    await service?.close();
    await stores.stop();
  });

  it('ingests many documents into one collection concurrently (no deadlock), keeping document frequencies exact', async () => {
    await rag.call('CreateCollection', { name: 'busy' }, md);
    // Six at once, on a pool of 20 (see beforeAll): what is tested is the locking, not a wait for a
    // free connection (which gives up after DATABASE_CONNECT_TIMEOUT_MS with a fast 503, by design).
    const docs = Array.from({ length: 6 }, (_, i) => `Release note ${i}: the scheduler restarts workers after a crash; ERR_SCHED_${i % 3} is logged with the worker id.`);
    const results = await Promise.allSettled(docs.map((d, i) => ingest('busy', `note-${i}`, d)));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const after = await termStats('busy');
    expect(after.kept.length).toBeGreaterThan(10);
    expect(after.kept.find((t) => t.term === 'schedul')).toMatchObject({ df: 6 });
    expect(after.kept).toEqual(after.counted);
    // Replacing and deleting documents takes their postings out again.
    await ingest('busy', 'note-0', 'Release note 0 now says something else entirely: a quieter telemetry exporter.');
    const doc = (await rag.call<{ items: { id: string; title: string }[] }>('ListDocuments', { collection: 'busy', page: { limit: 100 } }, md)).items.find((d) => d.title === 'note-1')!;
    await rag.call('DeleteDocument', { id: doc.id }, md);
    const changed = await termStats('busy');
    expect(changed.kept).toEqual(changed.counted);
    expect(changed.kept.find((t) => t.term === 'telemetri')).toMatchObject({ df: 1 });
    expect(changed.kept.find((t) => t.term === 'schedul')).toMatchObject({ df: 4 });
    // A term no chunk holds any more is gone, not kept at zero.
    expect(changed.kept.some((t) => t.df <= 0)).toBe(false);
  });

  it('ranks a term more common than the term depth by its best postings and scores every result exactly', async () => {
    await rag.call('CreateCollection', { name: 'common' }, md);
    // "latency" is in every chunk (df > TERM_DEPTH); the dense chunk uses it most; "budget" is
    // only in a chunk where "latency" appears once (an impact far below the term's first 50).
    // Each filler a different length, so BM25 orders them without ties.
    const filler = (i: number) => `Service ${i} reports its latency to the collector every minute${' and region'.repeat(i)}.`;
    const docs = [
      ...Array.from({ length: TERM_DEPTH + 15 }, (_, i) => [`svc-${i}`, filler(i)]),
      ['dense', 'Latency, latency, latency: tail latency dominates.'],
      ['budget', `The error budget policy is written down for operators of the platform and every team on call; it mentions latency once and then talks about reviews, freezes and approvals at length.`],
    ];
    for (let i = 0; i < docs.length; i += 4) await Promise.all(docs.slice(i, i + 4).map(([title, text]) => ingest('common', title, text)));
    const [{ df }] = await sql.query(`SELECT df FROM rag_terms WHERE collection = 'common' AND kind = 'w' AND term = 'latenc'`);
    expect(df).toBeGreaterThan(TERM_DEPTH);

    expect((await search('common', 'latency'))[0].title).toBe('dense');

    const results = await search('common', 'latency budget');
    expect(results[0].title).toBe('budget');
    // Exhaustive BM25 over every posting, computed here: the bounded ranker's scores must equal it.
    const exhaustive: { id: string; score: number }[] = await sql.query(
      `WITH s AS (SELECT chunk_count::float8 AS n, word_count::float8 / chunk_count AS avgdl FROM rag_collections WHERE name = 'common'),
            q AS (SELECT term, df::float8 AS df FROM rag_terms WHERE collection = 'common' AND kind = 'w' AND term IN ('latenc', 'budget'))
       SELECT c.id, sum(ln(1 + (s.n - q.df + 0.5) / (q.df + 0.5)) * p.tf * 2.2 / (p.tf + 1.2 * (0.25 + 0.75 * p.dl / s.avgdl))) AS score
       FROM rag_postings p JOIN q USING (term) JOIN rag_chunks c ON c.key = p.chunk_key CROSS JOIN s WHERE p.collection = 'common' AND p.kind = 'w'
       GROUP BY c.id ORDER BY score DESC, c.id LIMIT 10`,
    );
    expect(results.map((r) => r.chunkId)).toEqual(exhaustive.map((r) => r.id));
    results.forEach((r, i) => expect(r.score).toBeCloseTo(Number(exhaustive[i].score), 6));
  });
});
