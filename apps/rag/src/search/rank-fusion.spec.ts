import { DEFAULT_FUSION, fuse, parseWeights, reciprocalRankFusion, type FusionConfig } from './rank-fusion';

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
});
