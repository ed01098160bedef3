/**
 * rag retrieval quality and speed, measured offline on this machine: ingests the evaluation
 * corpus (bench/rag/eval-set.ts: documentation Debian ships) into a rag service running in
 * process on real PostgreSQL and Chroma with the local USE-512 embeddings, then scores every
 * question with vector, keyword (BM25 in PostgreSQL) and hybrid retrieval, and a plain BM25
 * (minisearch, no stemming) over the same chunks as the reference: recall@5, recall@10,
 * nDCG@10, MRR. The fusion weights are chosen by this run (grid below). Also: ingest
 * throughput, and search latency (p50/p99, query embedding reported separately).
 *
 *   npx ts-node -T -r tsconfig-paths/register apps/rag/eval/retrieval-eval.ts
 *
 * writes bench/results/rag-eval.md (README's benchmark section quotes it).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem, type } from 'node:os';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Metadata } from '@grpc/grpc-js';
import MiniSearch from 'minisearch';
import { DataSource } from 'typeorm';
import { createTempDatabase, createTempVhost, startChromaServer, startTestService, TestIdentities } from '@aether/testing';
import { ragService } from '../src/service';
import { CollectionsService } from '../src/collections/collections.service';
import { IngestService, indexedText } from '../src/documents/ingest.service';
import { EmbeddingService } from '../src/embeddings/embedding.service';
import { SearchService } from '../src/search/search.service';
import type { FusionWeights } from '../src/search/rank-fusion';
import { CORPUS_FILES, QUESTIONS, type Judged } from './eval-set';

const DOC_ROOT = '/usr/share/doc/';

function read(file: string): { bytes: Buffer; mimeType: string } {
  const raw = readFileSync(DOC_ROOT + file);
  const bytes = file.endsWith('.gz') ? gunzipSync(raw) : raw;
  const name = file.replace(/\.gz$/, '');
  const mimeType = /\.html?$/.test(name) ? 'text/html' : /\.(md|markdown)$/.test(name) ? 'text/markdown' : 'text/plain';
  return { bytes, mimeType };
}

interface Scores {
  r5: number;
  r10: number;
  ndcg10: number;
  mrr: number;
  idFirst: number;
}

function score(rankings: string[][], relevant: Set<string>[], questions: Judged[]): Scores {
  let r5 = 0, r10 = 0, ndcg = 0, mrr = 0, idFirst = 0;
  rankings.forEach((ranked, i) => {
    const rel = relevant[i];
    const top = ranked.slice(0, 10);
    const hits = (k: number) => ranked.slice(0, k).filter((id) => rel.has(id)).length;
    r5 += hits(5) / rel.size;
    r10 += hits(10) / rel.size;
    let dcg = 0;
    top.forEach((id, r) => (dcg += rel.has(id) ? 1 / Math.log2(r + 2) : 0));
    let idcg = 0;
    for (let r = 0; r < Math.min(rel.size, 10); r++) idcg += 1 / Math.log2(r + 2);
    ndcg += dcg / idcg;
    const first = ranked.findIndex((id) => rel.has(id));
    mrr += first >= 0 ? 1 / (first + 1) : 0;
    if (questions[i].identifier && first === 0) idFirst++;
  });
  const n = rankings.length;
  return { r5: r5 / n, r10: r10 / n, ndcg10: ndcg / n, mrr: mrr / n, idFirst };
}

const machineLine = () => `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${type()} ${release()}`;

function writeResult(name: string, markdown: string): void {
  const dir = resolve(__dirname, '../../../bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(resolve(dir, `${name}.md`), `${markdown.trim()}\n`);
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const f3 = (x: number) => x.toFixed(3);

async function main() {
  const [db, vhost, identities, chroma] = await Promise.all([createTempDatabase('rag_bench'), createTempVhost('rag_bench'), new TestIdentities().start(), startChromaServer()]);
  const service = await startTestService(ragService, {
    grpc: false,
    http: false,
    env: { DATABASE_URL: db.url, RABBITMQ_URL: vhost.url, AUTH_JWKS_URL: identities.jwksUrl, CHROMA_URL: chroma.url, AI_GATEWAY_GRPC_URL: '127.0.0.1:1' },
  });
  try {
    const user = await identities.user('developer');
    const caller = { userId: user.id, metadata: new Metadata() };
    await service.get(CollectionsService).create(caller, { name: 'eval', description: '', embeddingModel: '' });
    const ingest = service.get(IngestService);
    const search = service.get(SearchService);
    const embeddings = service.get(EmbeddingService);
    const sql = service.get(DataSource);

    // Ingest the corpus; throughput with embedding, and again (unchanged: the no-op path).
    const docIds = new Map<string, string>();
    let bytes = 0;
    let started = Date.now();
    for (const file of CORPUS_FILES) {
      const { bytes: content, mimeType } = read(file);
      bytes += content.length;
      const { document } = await ingest.ingest(caller, { collection: 'eval', title: file, content, mimeType, metadata: { package: file.split('/')[0] }, sourceUrl: '' });
      docIds.set(file, document.id);
    }
    const ingestMs = Date.now() - started;
    started = Date.now();
    for (const file of CORPUS_FILES) {
      const { bytes: content, mimeType } = read(file);
      await ingest.ingest(caller, { collection: 'eval', title: file, content, mimeType, metadata: {}, sourceUrl: '' });
    }
    const reingestMs = Date.now() - started;

    const chunks: { id: string; document_id: string; text: string; title: string; heading_path: string[] }[] = await sql.query(
      `SELECT c.id, c.document_id, c.text, d.title, c.heading_path FROM rag_chunks c JOIN rag_documents d ON d.id = c.document_id`,
    );
    const fileOf = new Map([...docIds].map(([f, id]) => [id, f]));
    const relevant = QUESTIONS.map((q) => new Set(chunks.filter((c) => fileOf.get(c.document_id) === q.file && c.text.toLowerCase().includes(q.passage.toLowerCase())).map((c) => c.id)));
    const unjudged = QUESTIONS.filter((_, i) => relevant[i].size === 0);
    if (unjudged.length) throw new Error(`no relevant chunk for: ${unjudged.map((q) => q.question).join(' | ')}`);

    // The reference: plain BM25 (minisearch's BM25+, no stemming) over the same indexed text.
    const mini = new MiniSearch<{ id: string; text: string }>({ fields: ['text'], storeFields: [] });
    mini.addAll(chunks.map((c) => ({ id: c.id, text: indexedText(c.title, { headingPath: c.heading_path, text: c.text }) })));
    const bm25 = QUESTIONS.map((q) => mini.search(q.question, { combineWith: 'OR' }).slice(0, 50).map((r) => String(r.id)));

    const run = async (mode: string, weights?: FusionWeights) => {
      const out: string[][] = [];
      for (const q of QUESTIONS) out.push((await search.search({ collection: 'eval', query: q.question, k: 10, mode }, undefined, weights)).hits.map((h) => h.chunkId));
      return out;
    };
    const rows: [string, Scores][] = [
      ['plain BM25 (minisearch, reference)', score(bm25, relevant, QUESTIONS)],
      ['vector (Chroma, USE-512)', score(await run('vector'), relevant, QUESTIONS)],
      ['keyword (BM25 in PostgreSQL, stemmed)', score(await run('keyword'), relevant, QUESTIONS)],
    ];
    // Weight grid for the fusion; the best nDCG@10 is what RAG_FUSION_WEIGHTS defaults to.
    const grid: [string, FusionWeights][] = [];
    for (const vector of [1, 0.5, 0.25, 0.15, 0.1, 0.05, 0]) for (const exact of [1, 0.5, 0.25, 0]) grid.push([`vector=${vector},keyword=1,exact=${exact}`, { vector, keyword: 1, exact }]);
    const fused: [string, Scores][] = [];
    for (const [name, w] of grid) fused.push([name, score(await run('hybrid', w), relevant, QUESTIONS)]);
    fused.sort((a, b) => b[1].ndcg10 - a[1].ndcg10 || b[1].mrr - a[1].mrr);
    rows.push([`hybrid, best weights (${fused[0][0]})`, fused[0][1]]);
    const hybridDefault = score(await run('hybrid'), relevant, QUESTIONS);
    rows.push(['hybrid, configured default (RAG_FUSION_WEIGHTS)', hybridDefault]);

    // Latency: query embedding alone, then search with the embedding cached (p50/p99 over repeats).
    const embedMs: number[] = [];
    for (const q of QUESTIONS) {
      const t = process.hrtime.bigint();
      await embeddings.embedQuery('local/use-512', `${q.question} (uncached)`);
      embedMs.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    const searchMs: Record<string, number[]> = { vector: [], keyword: [], hybrid: [] };
    for (let rep = 0; rep < 5; rep++) {
      for (const mode of Object.keys(searchMs)) {
        for (const q of QUESTIONS) {
          const t = process.hrtime.bigint();
          await search.search({ collection: 'eval', query: q.question, k: 10, mode });
          searchMs[mode].push(Number(process.hrtime.bigint() - t) / 1e6);
        }
      }
    }
    for (const v of [embedMs, ...Object.values(searchMs)]) v.sort((a, b) => a - b);
    const identifiers = QUESTIONS.filter((q) => q.identifier).length;

    const table = rows.map(([name, s]) => `| ${name} | ${f3(s.r5)} | ${f3(s.r10)} | ${f3(s.ndcg10)} | ${f3(s.mrr)} | ${s.idFirst}/${identifiers} |`).join('\n');
    const gridTable = fused.map(([name, s]) => `| ${name} | ${f3(s.ndcg10)} | ${f3(s.mrr)} |`).join('\n');
    const md = `### rag: retrieval quality and speed (apps/rag/eval/retrieval-eval.ts)

${machineLine()}. Corpus: ${CORPUS_FILES.length} documentation files Debian ships (${(bytes / 1024).toFixed(0)} KiB, ${chunks.length} chunks); ${QUESTIONS.length} questions with judged passages, ${identifiers} of them identifiers.

| retrieval | recall@5 | recall@10 | nDCG@10 | MRR | identifier first |
| --- | --- | --- | --- | --- | --- |
${table}

Fusion weights tried (reciprocal rank fusion, k = 60):

| weights | nDCG@10 | MRR |
| --- | --- | --- |
${gridTable}

Ingest: ${(bytes / 1024 / (ingestMs / 1000)).toFixed(1)} KiB/s, ${(chunks.length / (ingestMs / 1000)).toFixed(1)} chunks/s with local embeddings (${(ingestMs / 1000).toFixed(1)} s); unchanged re-ingest of everything ${reingestMs} ms (nothing embedded).
Search over ${chunks.length} chunks, query embedding excluded (cached): vector p50 ${pct(searchMs.vector, 50).toFixed(1)} / p99 ${pct(searchMs.vector, 99).toFixed(1)} ms, keyword p50 ${pct(searchMs.keyword, 50).toFixed(1)} / p99 ${pct(searchMs.keyword, 99).toFixed(1)} ms, hybrid p50 ${pct(searchMs.hybrid, 50).toFixed(1)} / p99 ${pct(searchMs.hybrid, 99).toFixed(1)} ms. Query embedding (USE-512, in process): p50 ${pct(embedMs, 50).toFixed(1)} / p99 ${pct(embedMs, 99).toFixed(1)} ms.
`;
    console.log(md);
    writeResult('rag-eval', md);
  } finally {
    await service.close();
    await Promise.allSettled([db.drop(), vhost.drop(), identities.stop(), chroma.stop()]);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
