/** The ranked lists search fuses. */
export const LISTS = ['vector', 'keyword', 'exact'] as const;
export type ListName = (typeof LISTS)[number];
export type FusionWeights = Record<ListName, number>;

/** Reciprocal rank fusion's k: ranks below ~60 weigh nearly alike, so no single list dominates by its head alone. */
export const RRF_K = 60;

export const VECTOR_ROLES = ['fuse', 'add'] as const;
export type VectorRole = (typeof VECTOR_ROLES)[number];

/** How the lists are fused (RagEnv: RAG_FUSION_WEIGHTS, RAG_FUSION_RRF_K, RAG_FUSION_VECTOR_DEPTH, RAG_FUSION_VECTOR_ROLE). */
export interface FusionConfig {
  weights: FusionWeights;
  /** Reciprocal rank fusion's k. */
  k: number;
  /** Only the vector list's first `vectorDepth` hits take part (its confident head). */
  vectorDepth: number;
  /**
   * `fuse`: the vector list is fused like the others (it may reorder what the lexical lists
   * found); `add`: it only adds chunks the lexical lists did not find (a paraphrase with no
   * shared word still finds its chunk; the lexical lists' order is kept).
   */
  vectorRole: VectorRole;
  /**
   * The fused list's first `rerankDepth` chunks are re-ordered by BM25 and cosine similarity
   * together (rerankHead); 0 turns it off.
   */
  rerankDepth: number;
  /** Weight of the cosine similarity against BM25 in that re-ordering (both z-normalised). */
  similarityWeight: number;
}

export const DEFAULT_FUSION: FusionConfig = { weights: { vector: 1, keyword: 1, exact: 1 }, k: RRF_K, vectorDepth: 200, vectorRole: 'fuse', rerankDepth: 0, similarityWeight: 0 };

/** `vector=0.5,keyword=1,exact=1` → weights (unnamed lists weigh 1). */
export function parseWeights(spec: string): FusionWeights {
  const weights: FusionWeights = { vector: 1, keyword: 1, exact: 1 };
  for (const part of spec.split(',')) {
    const [name, value] = part.split('=').map((s) => s.trim());
    if ((LISTS as readonly string[]).includes(name) && value !== undefined && Number.isFinite(Number(value))) weights[name as ListName] = Number(value);
  }
  return weights;
}

/** Σ weight / (k + rank) over the lists an id appears in (rank from 1), best first. */
export function reciprocalRankFusion(lists: Partial<Record<ListName, string[]>>, weights: FusionWeights, k = RRF_K): { id: string; score: number }[] {
  const scores = new Map<string, number>();
  for (const name of LISTS) {
    const ids = lists[name];
    if (!ids || weights[name] <= 0) continue;
    ids.forEach((id, i) => scores.set(id, (scores.get(id) ?? 0) + weights[name] / (k + i + 1)));
  }
  return [...scores].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
}

/** The lists fused as configured: the vector list cut to its head (and, role `add`, to what the others missed), then weighted RRF. */
export function fuse(lists: Partial<Record<ListName, string[]>>, config: FusionConfig): { id: string; score: number }[] {
  let vector = lists.vector?.slice(0, config.vectorDepth);
  if (vector && config.vectorRole === 'add') {
    const lexical = new Set([...(lists.keyword ?? []), ...(lists.exact ?? [])]);
    vector = vector.filter((id) => !lexical.has(id));
  }
  return reciprocalRankFusion({ ...lists, vector }, config.weights, config.k);
}

/** (x − mean) / standard deviation; all zeros when the values do not vary. */
function zScores(xs: number[]): number[] {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length);
  return sd > 0 ? xs.map((x) => (x - mean) / sd) : xs.map(() => 0);
}

/**
 * The first `rerankDepth` ids of `ranked` re-ordered by z(BM25) + similarityWeight · z(cosine),
 * the rest kept in place. Why: rank fusion only sees the vector list's order, and the local
 * vectors are too weak for their order to help (any weight on it lost nDCG in the evaluation),
 * but their cosine still separates the keyword ranker's close calls — a chunk that shares the
 * query's words *and* its meaning beats one that only shares the words. An id without a BM25
 * score (found by exact tokens or vectors only) counts 0; one without a similarity counts the
 * head's lowest.
 */
export function rerankHead(
  ranked: { id: string; score: number }[],
  bm25: ReadonlyMap<string, number>,
  similarity: ReadonlyMap<string, number>,
  config: Pick<FusionConfig, 'rerankDepth' | 'similarityWeight'>,
): { id: string; score: number }[] {
  const n = Math.min(config.rerankDepth, ranked.length);
  if (n < 2 || config.similarityWeight <= 0) return ranked;
  const head = ranked.slice(0, n);
  const known = head.map((r) => similarity.get(r.id)).filter((s): s is number => s !== undefined);
  const floor = known.length ? Math.min(...known) : 0;
  const b = zScores(head.map((r) => bm25.get(r.id) ?? 0));
  const c = zScores(head.map((r) => similarity.get(r.id) ?? floor));
  const reordered = head
    .map((r, i) => ({ r, s: b[i] + config.similarityWeight * c[i], i }))
    .sort((x, y) => y.s - x.s || x.i - y.i)
    .map((x) => x.r);
  return [...reordered, ...ranked.slice(n)];
}
