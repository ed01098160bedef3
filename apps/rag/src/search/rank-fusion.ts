/** The ranked lists search fuses. */
export const LISTS = ['vector', 'keyword', 'exact'] as const;
export type ListName = (typeof LISTS)[number];
export type FusionWeights = Record<ListName, number>;

/** Reciprocal rank fusion's k: ranks below ~60 weigh nearly alike, so no single list dominates by its head alone. */
export const RRF_K = 60;

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
