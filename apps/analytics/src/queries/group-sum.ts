import type { Collection, PipelineStage } from 'mongoose';

/** Accumulated field → the `$sum` operand (`1` to count, `'$field'` to add a field up). */
export type SumSpec = Record<string, 1 | `$${string}`>;

/**
 * `$group` by `groupBy` with several `$sum`s, as one aggregation per accumulator.
 *
 * Why not one `$group` with all of them: FerretDB 1.24 computes only the FIRST accumulator of a
 * `$group` stage and returns 0 for the others (checked against v1.24.2). One accumulator per
 * pipeline is correct on FerretDB and MongoDB alike; the pipelines run in parallel.
 * Result: group key (JSON of `_id`) → summed fields.
 */
export async function groupSum<T extends object>(
  collection: Collection<T>,
  match: Record<string, unknown>,
  groupBy: string | null,
  sums: SumSpec,
): Promise<Map<string, { key: unknown; sums: Record<string, number> }>> {
  const out = new Map<string, { key: unknown; sums: Record<string, number> }>();
  const names = Object.keys(sums);
  const results = await Promise.all(
    names.map((name) =>
      collection
        .aggregate<{ _id: unknown; v: number }>([
          { $match: match },
          { $group: { _id: groupBy, v: { $sum: sums[name] } } },
        ] as PipelineStage[])
        .toArray(),
    ),
  );
  results.forEach((rows, i) => {
    for (const row of rows) {
      const k = JSON.stringify(row._id ?? null);
      let entry = out.get(k);
      if (!entry) out.set(k, (entry = { key: row._id ?? null, sums: Object.fromEntries(names.map((n) => [n, 0])) }));
      entry.sums[names[i]] = Number(row.v) || 0;
    }
  });
  return out;
}
