import { BM25_B, BM25_K1 } from './bm25';
import { parsePostings } from './keyword-index-cache';
import { KeywordPostings, type IndexedChunk } from './keyword-postings';

/** BM25 written out plainly, over explicit term frequencies: the reference the index must match. */
function referenceRank(chunks: { id: string; tf: Map<string, number>; dl: number }[], terms: { term: string; idf: number }[], avgdl: number, limit: number) {
  return chunks
    .map((c) => ({
      id: c.id,
      score: terms.reduce((sum, { term, idf }) => {
        const tf = c.tf.get(term) ?? 0;
        return tf ? sum + (idf * tf * (BM25_K1 + 1)) / (tf + BM25_K1 * (1 - BM25_B + (BM25_B * c.dl) / avgdl)) : sum;
      }, 0),
      matched: terms.some((t) => c.tf.has(t.term)),
    }))
    .filter((c) => c.matched)
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
    .slice(0, limit)
    .map(({ id, score }) => ({ id, score }));
}

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

describe('KeywordPostings', () => {
  const rand = rng(7);
  const vocabulary = Array.from({ length: 40 }, (_, i) => `t${i}`);
  const makeChunks = (documentId: string, n: number, firstKey: number) =>
    Array.from({ length: n }, (_, i) => {
      const tf = new Map<string, number>();
      const words = 3 + Math.floor(rand() * 30);
      // Skewed: low term numbers are common, as in real text.
      for (let w = 0; w < words; w++) {
        const term = vocabulary[Math.floor(rand() ** 2 * vocabulary.length)];
        tf.set(term, (tf.get(term) ?? 0) + 1);
      }
      const dl = [...tf.values()].reduce((a, b) => a + b, 0);
      return { key: firstKey + i, id: `${documentId}:1:${i}`, documentId, wordCount: dl, exactCount: 1, metadata: { team: documentId.endsWith('1') ? 'core' : 'edge' } as Record<string, string>, tf, dl };
    });
  const load = (index: KeywordPostings, documentId: string, version: number, chunks: ReturnType<typeof makeChunks>) => {
    index.addDocument(documentId, version, chunks as IndexedChunk[]);
    index.addPostings(chunks.flatMap((c) => [...c.tf].map(([term, tf]) => ({ kind: 'w' as const, term, chunkKey: c.key, tf }))));
  };

  /** As a full load adds them: all chunks, then each term's postings in a row with the term's count. */
  const fullLoad = (docs: ReturnType<typeof makeChunks>[]) => {
    const byTerm = new Map<string, { key: number; tf: number }[]>();
    for (const c of docs.flat()) for (const [term, tf] of c.tf) byTerm.set(term, [...(byTerm.get(term) ?? []), { key: c.key, tf }]);
    const index = new KeywordPostings([...byTerm.values()].reduce((n, p) => n + p.length, 0));
    for (const chunks of docs) index.addDocument(chunks[0].documentId, 1, chunks as IndexedChunk[]);
    for (const [term, postings] of byTerm) for (const p of postings) index.addPosting('w', term, p.key, p.tf, postings.length);
    return index;
  };

  it('ranks exactly as BM25 over every posting, best first, ties by chunk id — loaded whole, then added to', () => {
    const docs = Array.from({ length: 20 }, (_, d) => makeChunks(`doc${String(d).padStart(2, '0')}`, 25, d * 100));
    // The first 12 documents as a full load puts them (shared arrays), the rest added after it (tails).
    const index = fullLoad(docs.slice(0, 12));
    const loaded = index.postings;
    docs.slice(12).forEach((chunks, d) => load(index, `doc${String(d + 12).padStart(2, '0')}`, 1, chunks));
    expect(loaded).toBeGreaterThan(0);
    expect(index.postings).toBeGreaterThan(loaded);
    const all = docs.flat();
    const avgdl = all.reduce((a, c) => a + c.dl, 0) / all.length;
    for (const query of [['t0'], ['t0', 't1', 't5'], ['t39', 't2'], ['t10', 't11', 't12', 't13', 't0']]) {
      const terms = query.map((term, i) => ({ term, idf: 0.5 + i }));
      const got = index.rank('w', terms, avgdl, 30);
      const want = referenceRank(all, terms, avgdl, 30);
      expect(got.map((r) => r.id)).toEqual(want.map((r) => r.id));
      got.forEach((r, i) => expect(r.score).toBeCloseTo(want[i].score, 9));
    }
    // A term nobody holds, and no terms at all.
    expect(index.rank('w', [{ term: 'absent', idf: 1 }], avgdl, 10)).toEqual([]);
    expect(index.rank('x', [{ term: 't0', idf: 1 }], avgdl, 10)).toEqual([]);
  });

  it('ranks only the chunks whose metadata passes every condition', () => {
    const docs = Array.from({ length: 12 }, (_, d) => makeChunks(`doc${d}`, 10, d * 100));
    const index = fullLoad(docs);
    const all = docs.flat();
    const avgdl = all.reduce((a, c) => a + c.dl, 0) / all.length;
    const terms = [{ term: 't0', idf: 1 }, { term: 't3', idf: 2 }];
    const core = index.rank('w', terms, avgdl, 1000, index.allowed([{ key: 'team', values: ['core'] }]));
    const want = referenceRank(all.filter((c) => c.metadata.team === 'core'), terms, avgdl, 1000);
    expect(core.map((r) => r.id)).toEqual(want.map((r) => r.id));
    expect(core.length).toBeGreaterThan(0);
    // Several values: any of them; several conditions: all of them; an absent key matches nothing.
    expect(index.rank('w', terms, avgdl, 1000, index.allowed([{ key: 'team', values: ['core', 'edge'] }]))).toEqual(index.rank('w', terms, avgdl, 1000));
    expect(index.rank('w', terms, avgdl, 1000, index.allowed([{ key: 'team', values: ['core'] }, { key: 'team', values: ['edge'] }]))).toEqual([]);
    expect(index.rank('w', terms, avgdl, 1000, index.allowed([{ key: 'region', values: ['eu'] }]))).toEqual([]);
  });

  it("keeps a mask to the moment it was taken: chunks added later are outside, chunks killed later inside", () => {
    const index = new KeywordPostings();
    const chunk = (key: number, id: string, documentId: string, team: string) => ({ key, id, documentId, wordCount: 2, exactCount: 0, metadata: { team } });
    index.addDocument('a', 1, [chunk(1, 'a:1:0', 'a', 'core'), chunk(2, 'a:1:1', 'a', 'edge')]);
    index.addDocument('b', 1, [chunk(3, 'b:1:0', 'b', 'core')]);
    const core = index.allowed([{ key: 'team', values: ['core'] }]);
    expect(core.count).toBe(2);
    index.addDocument('a', 2, [chunk(4, 'a:2:0', 'a', 'core')]); // a:1:* dead now, a:2:0 new
    expect(index.allowedIds(core, ['a:2:0', 'a:1:0', 'a:1:1', 'b:1:0', 'unknown'])).toEqual(['a:1:0', 'b:1:0']);
    expect(index.allowed([{ key: 'team', values: ['core'] }]).count).toBe(2); // b:1:0 and a:2:0
    expect(index.allowedIds(index.allowed([{ key: 'team', values: ['core'] }]), ['a:2:0', 'a:1:0', 'b:1:0'])).toEqual(['a:2:0', 'b:1:0']);
    expect(index.liveChunks).toBe(2);
  });

  it('breaks equal scores by chunk id, as the SQL ranker orders them', () => {
    const index = new KeywordPostings();
    const same = ['c', 'a', 'b'].map((id, i) => ({ key: i + 1, id, documentId: 'd', wordCount: 4, exactCount: 0, metadata: {} }));
    index.addDocument('d', 1, same);
    same.forEach((c) => index.addPosting('w', 'x', c.key, 2));
    expect(index.rank('w', [{ term: 'x', idf: 1 }], 4, 2).map((r) => r.id)).toEqual(['a', 'b']);
  });

  it('leaves out the chunks of a replaced or deleted document, and finds the new version', () => {
    const index = new KeywordPostings();
    const old = makeChunks('doc', 10, 0);
    load(index, 'doc', 1, old);
    load(index, 'other', 1, makeChunks('other', 10, 100));
    const replacement = makeChunks('doc', 4, 200).map((c) => ({ ...c, id: `doc:2:${c.key}`, tf: new Map([['fresh', 3]]), dl: 3, wordCount: 3 }));
    load(index, 'doc', 2, replacement);
    const everything = vocabulary.map((term) => ({ term, idf: 1 }));
    const ids = index.rank('w', [...everything, { term: 'fresh', idf: 1 }], 10, 1000).map((r) => r.id);
    expect(ids.filter((id) => id.startsWith('doc:1:'))).toEqual([]);
    expect(ids.filter((id) => id.startsWith('doc:2:'))).toHaveLength(4);
    expect(index.deadChunks).toBe(10);
    index.removeDocument('other');
    expect(index.rank('w', everything, 10, 1000).filter((r) => r.id.startsWith('other'))).toEqual([]);
    expect(index.chunksOf('doc')).toBe(4);
    expect(index.documentVersions()).toEqual(new Map([['doc', 2]]));
  });

  it('reuses its scratch space across searches without carrying scores over', () => {
    const index = new KeywordPostings();
    const chunks = makeChunks('doc', 50, 0);
    load(index, 'doc', 1, chunks);
    const terms = [{ term: 't0', idf: 1 }];
    const first = index.rank('w', terms, 10, 5);
    index.rank('w', [{ term: 't1', idf: 3 }], 10, 5);
    expect(index.rank('w', terms, 10, 5)).toEqual(first);
  });

  it("reads string_agg's key:tf list without splitting it", () => {
    const index = new KeywordPostings();
    index.addDocument('d', 1, [
      { key: 12, id: 'a', documentId: 'd', wordCount: 10, exactCount: 0, metadata: {} },
      { key: 3456789, id: 'b', documentId: 'd', wordCount: 10, exactCount: 0, metadata: {} },
    ]);
    parsePostings(index, 'w', 'term', 3, '12:3,3456789:11,999:1'); // 999 is not held: ignored
    expect(index.postings).toBe(2);
    const ranked = index.rank('w', [{ term: 'term', idf: 1 }], 10, 10);
    expect(ranked.map((r) => r.id)).toEqual(['b', 'a']);
    expect(ranked[1].score).toBeCloseTo((3 * (BM25_K1 + 1)) / (3 + BM25_K1), 9);
  });
});
