/**
 * rag search at scale: 100,000 chunks in real PostgreSQL and Chroma, searched through the
 * service's SearchService with the query embedding cached (it is measured on its own), p50/p99
 * per mode; and ingest throughput of the real path (extract → chunk → embed → Chroma +
 * PostgreSQL) on a smaller sample.
 *
 * The 100k chunks are synthetic but realistic: word windows cut from the documentation Debian
 * ships on this machine (/usr/share/doc), so term frequencies and document frequencies are those of
 * real technical prose; identifiers occur as they do there. They are bulk-loaded with the same
 * statements the ingest path runs (stemmed-word postings from to_tsvector, exact-token postings
 * from exactTokens, the collection's BM25 statistics), and random unit vectors stand in for their
 * embeddings (the local model embeds ~10 chunks/s here: 100k would take hours). Queries: the
 * evaluation's 60 questions (apps/rag/eval/eval-set.ts) and 20 identifiers found in the corpus.
 *
 *   npx ts-node -T -r tsconfig-paths/register apps/rag/eval/search-scale.ts   [CHUNKS=100000]
 *
 * writes bench/results/rag-search.md.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Metadata } from '@grpc/grpc-js';
import { DataSource } from 'typeorm';
import { createTempDatabase, createTempVhost, startChromaServer, startTestService, TestIdentities } from '@aether/testing';
import { ragService } from '../src/service';
import { CollectionsService } from '../src/collections/collections.service';
import { IngestService } from '../src/documents/ingest.service';
import { EmbeddingService } from '../src/embeddings/embedding.service';
import { KeywordIndexCache } from '../src/search/keyword-index-cache';
import { SearchService } from '../src/search/search.service';
import { cosine, VectorStore } from '../src/vectors/vector-store';
import { decodeFloat4Array } from '../src/vectors/float4-array';
import { RagEnv } from '../src/config/rag.env';
import { dedupKey, exactTokens, sha256, termFrequencies } from '../src/search/text-analysis';
import { QUESTIONS } from './eval-set';
import { loadLine, machineLine, pct, writeResult } from './report';

const CHUNKS = Number(process.env.CHUNKS ?? 100_000);
const CHUNKS_PER_DOC = 50;
const INGEST_DOCS = Number(process.env.INGEST_DOCS ?? 30);
const DIM = 512;

/** Words of the plain-text documentation on this machine, in order (a few MiB is plenty). */
function wordPool(limit = 3_000_000): string[] {
  const words: string[] = [];
  const walk = (dir: string, depth: number) => {
    for (const name of readdirSync(dir)) {
      if (words.length >= limit) return;
      const path = join(dir, name);
      const st = statSync(path, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory() && depth < 3) walk(path, depth + 1);
      else if (st.isFile() && /(README|FAQ|NEWS|TODO|\.md|\.txt|\.rst)(\.gz)?$/i.test(name) && !/changelog|copyright/i.test(name) && st.size < 2_000_000) {
        try {
          const raw = readFileSync(path);
          const text = (name.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
          for (const w of text.split(/\s+/)) if (w && w.length < 40 && ![...w].some((ch) => ch.charCodeAt(0) < 9)) words.push(w);
        } catch {
          // unreadable: skipped
        }
      }
    }
  };
  walk('/usr/share/doc', 0);
  return words;
}

/** A deterministic pseudo-random source (the same corpus every run). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function randomUnitVector(rand: () => number): number[] {
  const v = Array.from({ length: DIM }, () => rand() * 2 - 1);
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

async function main() {
  let pool = wordPool();
  const rand = rng(42);
  const window = (min: number, max: number) => {
    const n = min + Math.floor(rand() * (max - min));
    const start = Math.floor(rand() * (pool.length - n));
    return pool.slice(start, start + n).join(' ');
  };

  const [db, vhost, identities, chroma] = await Promise.all([createTempDatabase('rag_scale'), createTempVhost('rag_scale'), new TestIdentities().start(), startChromaServer()]);
  const service = await startTestService(ragService, {
    grpc: false,
    http: false,
    env: { DATABASE_URL: db.url, RABBITMQ_URL: vhost.url, AUTH_JWKS_URL: identities.jwksUrl, CHROMA_URL: chroma.url, AI_GATEWAY_GRPC_URL: '127.0.0.1:1' },
  });
  try {
    const user = await identities.user('developer');
    const caller = { userId: user.id, metadata: new Metadata() };
    const collections = service.get(CollectionsService);
    const ingest = service.get(IngestService);
    const search = service.get(SearchService);
    const embeddings = service.get(EmbeddingService);
    const vectors = service.get(VectorStore);
    const sql = service.get(DataSource);

    // 1. Ingest throughput through the real path: Markdown documents of ~8 sections each.
    await collections.create(caller, { name: 'ingest', description: '', embeddingModel: '' });
    const docs = Array.from({ length: INGEST_DOCS }, (_, d) =>
      Array.from({ length: 8 }, () => `## ${window(2, 5)}\n\n${window(60, 180)}\n`).join('\n').replace(/^/, `# Document ${d}\n\n`),
    );
    await embeddings.embedQuery('local/use-512', 'warm up the model');
    let started = Date.now();
    let bytes = 0;
    for (let d = 0; d < docs.length; d++) {
      const content = Buffer.from(docs[d]);
      bytes += content.length;
      await ingest.ingest(caller, { collection: 'ingest', title: `doc-${d}`, content, mimeType: 'text/markdown', metadata: {}, sourceUrl: '' });
    }
    const ingestMs = Date.now() - started;
    const [{ n: ingestedChunks }] = await sql.query(`SELECT count(*)::int AS n FROM rag_chunks WHERE collection = 'ingest'`);

    // 2. Bulk load of the 100k chunks, as the ingest path writes them.
    await collections.create(caller, { name: 'scale', description: '', embeddingModel: '' });
    const [{ vector_space: space, embedding_model: model }]: { vector_space: string; embedding_model: string }[] = await sql.query(
      `SELECT vector_space, embedding_model FROM rag_collections WHERE name = 'scale'`,
    );
    started = Date.now();
    const identifiers: string[] = [];
    // Batches of 20 documents per transaction; a batch's vectors go to Chroma while the next is written.
    let pendingVectors: Promise<void> = Promise.resolve();
    for (let loaded = 0; loaded < CHUNKS; ) {
      const batch: { docId: string; title: string; shard: string; chunks: { id: string; docId: string; title: string; heading: string; text: string; ordinal: number }[] }[] = [];
      for (let d = 0; d < 20 && loaded < CHUNKS; d++) {
        const docId = randomUUID();
        const title = `doc-${loaded / CHUNKS_PER_DOC}`;
        const n = Math.min(CHUNKS_PER_DOC, CHUNKS - loaded);
        const chunks = Array.from({ length: n }, (_, i) => ({ id: `${docId}:1:${i}`, docId, title, heading: window(2, 5), text: window(40, 220), ordinal: i }));
        // Metadata for the filtered searches: each document in one of four shards.
        batch.push({ docId, title, shard: String((loaded / CHUNKS_PER_DOC) % 4), chunks });
        loaded += n;
      }
      const chunks = batch.flatMap((b) => b.chunks);
      const shardOf = new Map(batch.map((b) => [b.docId, b.shard]));
      const chunkVectors = chunks.map(() => randomUnitVector(rand));
      const exact = chunks.map((c) => termFrequencies(exactTokens(`${c.title} > ${c.heading}\n\n${c.text}`)));
      const exactCount = exact.map((e) => [...e.values()].reduce((a, b) => a + b, 0));
      await sql.transaction(async (m) => {
        await m.query(
          `INSERT INTO rag_documents (id, collection, title, mime_type, metadata, content_hash, size_bytes, version, chunk_count)
           SELECT t.id, 'scale', t.title, 'text/markdown', jsonb_build_object('shard', t.shard), t.hash, t.size, 1, t.n FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::int[], $6::text[]) AS t(id, title, hash, size, n, shard)`,
          [batch.map((b) => b.docId), batch.map((b) => b.title), batch.map((b) => sha256(b.title)), batch.map((b) => b.chunks.reduce((a, c) => a + c.text.length, 0)), batch.map((b) => b.chunks.length), batch.map((b) => b.shard)],
        );
        await m.query(
          `INSERT INTO rag_chunks (id, document_id, collection, version, ordinal, text, heading_path, start_offset, end_offset, content_hash, dedup_key, word_count, exact_count, metadata)
           SELECT t.id, t.doc, 'scale', 1, t.ordinal, t.text, ARRAY[t.heading], 0, length(t.text), t.hash, t.dedup, 0, t.xc, jsonb_build_object('shard', t.shard)
           FROM unnest($1::text[], $2::uuid[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::text[]) AS t(id, doc, ordinal, text, heading, hash, dedup, xc, shard)`,
          [
            chunks.map((c) => c.id), chunks.map((c) => c.docId), chunks.map((c) => c.ordinal), chunks.map((c) => c.text), chunks.map((c) => c.heading),
            chunks.map((c) => sha256(c.text)), chunks.map((c) => dedupKey(c.text)), exactCount, chunks.map((c) => shardOf.get(c.docId)!),
          ],
        );
        // The keyword index exactly as ingest writes it (postings with impacts, document frequencies).
        for (const b of batch) {
          const offset = chunks.indexOf(b.chunks[0]);
          await ingest.indexChunks(m, 'scale', b.docId, 1, b.title, b.chunks.map((c, i) => ({ id: c.id, exact: exact[offset + i], exactCount: exactCount[offset + i] })));
        }
        for (let i = 0; i < chunks.length && identifiers.length < 20; i++) {
          const terms = [...exact[i].keys()];
          if (terms.length && rand() < 0.01) identifiers.push(terms[Math.floor(rand() * terms.length)]);
        }
        // The embedding cache, as ingest fills it (the hybrid re-rank reads the head's vectors from it).
        await m.query(
          `INSERT INTO rag_embeddings (model, content_hash, vector)
           SELECT $1, t.h, t.v::real[] FROM unnest($2::text[], $3::text[]) AS t(h, v) ON CONFLICT DO NOTHING`,
          [model, chunks.map((c) => sha256(c.text)), chunkVectors.map((v) => `{${v.join(',')}}`)],
        );
        await m.query(
          `UPDATE rag_collections SET keyword_generation = keyword_generation + 1, document_count = document_count + $1, chunk_count = chunk_count + $2,
             word_count = word_count + (SELECT coalesce(sum(word_count), 0) FROM rag_chunks WHERE document_id = ANY($3::uuid[])),
             exact_count = exact_count + $4
           WHERE name = 'scale'`,
          [batch.length, chunks.length, batch.map((b) => b.docId), exactCount.reduce((a, b) => a + b, 0)],
        );
      });
      await pendingVectors;
      pendingVectors = vectors.upsert(space, chunks.map((c, i) => ({ id: c.id, vector: chunkVectors[i], documentId: c.docId, metadata: { shard: shardOf.get(c.docId)! } })));
      if (loaded % 10_000 === 0) console.error(`loaded ${loaded} chunks (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    }
    await pendingVectors;
    const loadMs = Date.now() - started;
    // The corpus generator's 3M words are this process's, not the service's: kept until the
    // searches, they made every garbage collection of the process (and so the search tail) slower.
    pool = [];
    // What autovacuum does on a live system: statistics, and the visibility map (index-only scans).
    await sql.query(`VACUUM ANALYZE rag_postings`);
    await sql.query(`VACUUM ANALYZE rag_chunks`);
    const [{ postings }] = await sql.query(`SELECT count(*)::int AS postings FROM rag_postings WHERE collection = 'scale'`);

    // The in-memory copy of the keyword index: a full load, what it holds, what it costs.
    const cache = service.get(KeywordIndexCache);
    started = Date.now();
    const copy = await cache.warm(space, 'scale');
    if (!copy) throw new Error('the keyword index did not load into memory (RAG_KEYWORD_MEMORY_POSTINGS?)');
    const fullLoadMs = Date.now() - started;
    const copied = { postings: copy.postings, chunks: copy.chunks, mib: copy.bytes() / 2 ** 20 };

    // 3. Search latency, query embedding cached (embedded once first), p50/p99 per mode.
    const queries = [...QUESTIONS.map((q) => q.question), ...identifiers];
    const embedMs: number[] = [];
    for (const q of queries) {
      const t = process.hrtime.bigint();
      await embeddings.embedQuery('local/use-512', q);
      embedMs.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    const loadBefore = loadLine();
    const modes = ['vector', 'keyword', 'hybrid'] as const;
    // keyword and hybrid twice: ranked from the in-memory copy (what serves once it is loaded), and
    // by the bounded SQL ranker (a first search, a search during a refresh, a filtered search).
    // And filtered to one shard of four (a metadata condition in every list).
    const shard = { shard: '1' };
    const runs: { name: string; mode: string; ranker: 'auto' | 'sql'; filter?: Record<string, string> }[] = [
      ...modes.map((mode) => ({ name: mode as string, mode, ranker: 'auto' as const })),
      ...(['keyword', 'hybrid'] as const).map((mode) => ({ name: `${mode}, SQL ranker`, mode, ranker: 'sql' as const })),
      ...modes.map((mode) => ({ name: `${mode}, filtered to 1 shard of 4`, mode, ranker: 'auto' as const, filter: shard })),
      { name: 'keyword, filtered, SQL ranker', mode: 'keyword', ranker: 'sql', filter: shard },
    ];
    const ms: Record<string, number[]> = Object.fromEntries(runs.map((r) => [r.name, []]));
    for (const r of runs) for (const q of queries.slice(0, 10)) await search.search({ collection: 'scale', query: q, k: 10, mode: r.mode, filter: r.filter }, undefined, undefined, undefined, r.ranker); // warm-up
    for (let rep = 0; rep < 5; rep++) {
      for (const r of runs) {
        for (const q of queries) {
          const t = process.hrtime.bigint();
          await search.search({ collection: 'scale', query: q, k: 10, mode: r.mode, filter: r.filter }, undefined, undefined, undefined, r.ranker);
          ms[r.name].push(Number(process.hrtime.bigint() - t) / 1e6);
        }
      }
    }
    // The bounded keyword ranker against exhaustive BM25 (every posting of every query term, the
    // ranker before RAG_KEYWORD_TERM_DEPTH) on the same queries: same top 10, and its latency.
    // Where the hybrid re-rank gets the head's missing similarities: 20 chunks' embeddings from
    // Chroma (get) against the embedding cache in PostgreSQL (binary array, as hydrate reads it).
    const sampleIds: string[] = (await sql.query(`SELECT id FROM rag_chunks WHERE collection = 'scale' ORDER BY md5(id) LIMIT 1600`)).map((r: { id: string }) => r.id);
    const headMs: Record<'chroma' | 'cache', number[]> = { chroma: [], cache: [] };
    const queryVector = await embeddings.embedQuery('local/use-512', queries[0]);
    for (let i = 0; i < 80; i++) {
      const ids = sampleIds.slice(i * 20, i * 20 + 20);
      let t = process.hrtime.bigint();
      await vectors.similarities(space, queryVector, ids);
      headMs.chroma.push(Number(process.hrtime.bigint() - t) / 1e6);
      t = process.hrtime.bigint();
      const rows: { v: Buffer }[] = await sql.query(
        `SELECT array_send(e.vector) AS v FROM rag_chunks c JOIN rag_embeddings e ON e.model = $2 AND e.content_hash = c.content_hash WHERE c.id = ANY($1::text[])`,
        [ids, model],
      );
      rows.forEach((r) => cosine(queryVector, decodeFloat4Array(r.v)));
      headMs.cache.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    const EXHAUSTIVE = 100_000_000; // deeper than any term's postings
    const exhaustiveMs: number[] = [];
    let overlap = 0;
    let identical = 0;
    let memoryIdentical = 0;
    for (const q of queries) {
      const bounded = (await search.search({ collection: 'scale', query: q, k: 10, mode: 'keyword' }, undefined, undefined, undefined, 'sql')).hits.map((h) => h.chunkId);
      const t = process.hrtime.bigint();
      const full = (await search.search({ collection: 'scale', query: q, k: 10, mode: 'keyword' }, undefined, undefined, EXHAUSTIVE, 'sql')).hits.map((h) => h.chunkId);
      exhaustiveMs.push(Number(process.hrtime.bigint() - t) / 1e6);
      const memory = (await search.search({ collection: 'scale', query: q, k: 10, mode: 'keyword' })).hits.map((h) => h.chunkId);
      overlap += full.length ? bounded.filter((id) => full.includes(id)).length / full.length : 1;
      if (bounded.join() === full.join()) identical++;
      if (memory.join() === full.join()) memoryIdentical++;
    }
    // Catching up after one document changes (through the real ingest path): the changed
    // document's chunks and postings are read, not the collection.
    await ingest.ingest(caller, { collection: 'scale', title: 'doc-0', content: Buffer.from(docs[0]), mimeType: 'text/markdown', metadata: {}, sourceUrl: '' });
    started = Date.now();
    const caughtUp = await cache.warm(space, 'scale');
    const changeMs = Date.now() - started;
    for (const v of [embedMs, exhaustiveMs, ...Object.values(ms), ...Object.values(headMs)]) v.sort((a, b) => a - b);
    const row = (name: string, v: number[]) => `| ${name} | ${pct(v, 50).toFixed(1)} | ${pct(v, 99).toFixed(1)} | ${v.length} |`;
    const md = `### rag: search at ${CHUNKS.toLocaleString('en')} chunks (apps/rag/eval/search-scale.ts)

${machineLine()}. Real PostgreSQL and Chroma (\`chroma run\`, HNSW, cosine); ${CHUNKS.toLocaleString('en')} chunks of word windows from the documentation in /usr/share/doc (${postings.toLocaleString('en')} postings), random unit vectors as their embeddings; bulk-loaded in ${(loadMs / 1000).toFixed(0)} s. Queries: the evaluation's ${QUESTIONS.length} questions and ${identifiers.length} identifiers from the corpus, k = 10, 5 rounds; the query embedding is cached (measured on its own below). Load average (1/5/15 min) when the searches began: ${loadBefore}, after: ${loadLine()}.

| search (query embedding excluded) | p50 ms | p99 ms | searches |
| --- | --- | --- | --- |
${runs.map((r) => row(r.name, ms[r.name])).join('\n')}
| keyword, exhaustive BM25 (reference: every posting of every term) | ${pct(exhaustiveMs, 50).toFixed(1)} | ${pct(exhaustiveMs, 99).toFixed(1)} | ${exhaustiveMs.length} |
| query embedding alone (USE-512, in process, uncached) | ${pct(embedMs, 50).toFixed(1)} | ${pct(embedMs, 99).toFixed(1)} | ${embedMs.length} |
| 20 chunks' embeddings for the hybrid re-rank: Chroma get (before) | ${pct(headMs.chroma, 50).toFixed(1)} | ${pct(headMs.chroma, 99).toFixed(1)} | ${headMs.chroma.length} |
| the same from the embedding cache in PostgreSQL (binary array, what hybrid reads now) | ${pct(headMs.cache, 50).toFixed(1)} | ${pct(headMs.cache, 99).toFixed(1)} | ${headMs.cache.length} |

keyword and hybrid are ranked from the in-memory copy of the keyword index (exhaustive BM25 over typed arrays, src/search/keyword-postings.ts): it holds ${copied.postings.toLocaleString('en')} postings of ${copied.chunks.toLocaleString('en')} chunks, ${copied.mib.toFixed(0)} MiB by its own count (its typed arrays, plus an estimate for ids and maps), loaded whole in ${(fullLoadMs / 1000).toFixed(1)} s in the background; after one document changed, it caught up in ${changeMs} ms (${caughtUp === copy ? 'applied to the loaded copy: only that document was read' : 'by a full load'}). Its top 10 equals exhaustive BM25's for ${memoryIdentical} of ${queries.length} queries. The "SQL ranker" rows are what a search gets before the copy is current (or for a collection over RAG_KEYWORD_MEMORY_POSTINGS); the filtered rows test \`shard = 1\` (a quarter of the chunks) in every list.

The bounded SQL keyword ranker (RAG_KEYWORD_TERM_DEPTH=${new RagEnv().RAG_KEYWORD_TERM_DEPTH} postings per term in impact order, candidates scored exactly) against exhaustive BM25 on the ${queries.length} queries: top-10 overlap ${((overlap / queries.length) * 100).toFixed(1)} %, the same top 10 in the same order for ${identical} of ${queries.length}.

Ingest through the real path (Markdown → chunks → local USE-512 embeddings → Chroma + PostgreSQL), ${INGEST_DOCS} documents: ${(bytes / 1024 / (ingestMs / 1000)).toFixed(1)} KiB/s, ${(ingestedChunks / (ingestMs / 1000)).toFixed(1)} chunks/s (${ingestedChunks} chunks in ${(ingestMs / 1000).toFixed(1)} s; the embedding model is most of it).
`;
    console.log(md);
    writeResult('rag-search', md);
  } finally {
    await service.close();
    // SCALE_KEEP_DATABASE=1 keeps the loaded PostgreSQL database (its name is printed) for EXPLAIN.
    if (process.env.SCALE_KEEP_DATABASE === '1') console.error(`kept database ${db.url}`);
    await Promise.allSettled([process.env.SCALE_KEEP_DATABASE === '1' ? Promise.resolve() : db.drop(), vhost.drop(), identities.stop(), chroma.stop()]);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
