import { DEFAULT_FUSION, fuse, parseWeights, reciprocalRankFusion, rerankHead, type FusionConfig } from './rank-fusion';

const ids = (ranked: { id: string }[]) => ranked.map((r) => r.id);

describe('rank fusion', () => {
  it('is reciprocal rank fusion: Σ weight / (k + rank), k configurable', () => {
    const fused = reciprocalRankFusion({ keyword: ['a', 'b'], vector: ['b', 'c'] }, { vector: 1, keyword: 1, exact: 1 }, 60);
    expect(fused[0]).toEqual({ id: 'b', score: 1 / 62 + 1 / 61 });
    expect(ids(fused)).toEqual(['b', 'a', 'c']);
    // A smaller k favours the heads more: a's first place outweighs b's two second places at k = 0.
    expect(ids(reciprocalRankFusion({ keyword: ['a', 'b'], vector: ['x', 'b'] }, { vector: 1, keyword: 1, exact: 1 }, 0))[0]).toBe('a');
  });

  it('parses weights (unnamed lists weigh 1)', () => {
    expect(parseWeights('vector=0.25, exact=0')).toEqual({ vector: 0.25, keyword: 1, exact: 0 });
  });

  it('vector role add: vectors only add chunks the lexical lists missed, never reorder them', () => {
    const lists = { keyword: ['k1', 'k2', 'k3'], exact: ['k1'], vector: ['k3', 'v1'] };
    const add: FusionConfig = { ...DEFAULT_FUSION, vectorRole: 'add' };
    const lexicalOnly = ids(fuse({ keyword: lists.keyword, exact: lists.exact }, add));
    const fused = ids(fuse(lists, add));
    expect(fused.filter((id) => id !== 'v1')).toEqual(lexicalOnly);
    expect(fused).toContain('v1');
    // Role fuse lets the vector list lift k3.
    expect(ids(fuse(lists, { ...DEFAULT_FUSION, vectorRole: 'fuse' })).indexOf('k3')).toBeLessThan(lexicalOnly.indexOf('k3'));
    // With nothing lexical (a paraphrase with no shared word), the vector list is the answer.
    expect(ids(fuse({ keyword: [], vector: ['v1', 'v2'] }, add))).toEqual(['v1', 'v2']);
  });

  it('takes only the first vectorDepth vector hits', () => {
    expect(ids(fuse({ keyword: [], vector: ['v1', 'v2', 'v3'] }, { ...DEFAULT_FUSION, vectorDepth: 2 }))).toEqual(['v1', 'v2']);
  });

  describe('similarity re-rank of the head', () => {
    const ranked = [
      { id: 'a', score: 3 },
      { id: 'b', score: 2 },
      { id: 'c', score: 1 },
      { id: 'd', score: 0.5 },
    ];
    // a and b are a close call for BM25; b is much nearer the query's meaning.
    const bm25 = new Map([['a', 10], ['b', 9.8], ['c', 5], ['d', 4]]);
    const cosine = new Map([['a', 0.1], ['b', 0.6], ['c', 0.9], ['d', 0.9]]);

    it('lets the cosine settle close BM25 calls but not overturn a clear BM25 lead', () => {
      const out = ids(rerankHead(ranked, bm25, cosine, { rerankDepth: 3, similarityWeight: 0.3 }));
      expect(out.slice(0, 2)).toEqual(['b', 'a']);
      // c is far behind on BM25: a weight of 0.3 does not lift it over a and b.
      expect(out[2]).toBe('c');
    });

    it('re-orders only the first rerankDepth ids and keeps the rest in place', () => {
      const out = ids(rerankHead(ranked, bm25, new Map([...cosine, ['c', 0.99]]), { rerankDepth: 2, similarityWeight: 5 }));
      expect(out).toEqual(['b', 'a', 'c', 'd']);
    });

    it('is the identity when off (depth < 2 or weight 0)', () => {
      expect(rerankHead(ranked, bm25, cosine, { rerankDepth: 0, similarityWeight: 1 })).toBe(ranked);
      expect(rerankHead(ranked, bm25, cosine, { rerankDepth: 4, similarityWeight: 0 })).toBe(ranked);
    });

    it('gives an id without a similarity the head\'s lowest, and one without BM25 zero', () => {
      const out = ids(rerankHead([{ id: 'x', score: 1 }, ...ranked], bm25, cosine, { rerankDepth: 5, similarityWeight: 0.2 }));
      expect(out[out.length - 1]).toBe('x');
    });
  });
});
