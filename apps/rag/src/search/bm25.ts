/** BM25 parameters (Robertson's defaults; the evaluation found no better ones on our corpus). */
export const BM25_K1 = 1.2;
export const BM25_B = 0.75;

/**
 * SQL of BM25's term-frequency part, tf·(k1+1) / (tf + k1·(1 − b + b·dl/avgdl)), over SQL
 * expressions. Indexing stores it as a posting's `impact` (with the average length of that
 * moment); search recomputes it with the current average.
 */
export const bm25TfSql = (tf: string, dl: string, avgdl: string): string =>
  // float8 throughout: an integer times a literal such as 2.2 is numeric arithmetic, several times slower.
  `(${tf}::float8 * ${BM25_K1 + 1}::float8 / (${tf}::float8 + ${BM25_K1}::float8 * (${1 - BM25_B}::float8 + ${BM25_B}::float8 * ${dl}::float8 / ${avgdl})))`;

/** SQL of BM25's inverse document frequency (the +1 keeps it positive for very common terms). */
export const idfSql = (n: string, df: string): string => `ln(1::float8 + (${n} - ${df} + 0.5::float8) / (${df} + 0.5::float8))`;

/**
 * SQL of a collection's average chunk length (in a query over rag_collections) from its
 * `total` column (word_count or exact_count); `fallback` (SQL) for a collection with no chunk yet.
 */
export const averageLengthSql = (total: 'word_count' | 'exact_count', fallback: string): string =>
  `greatest(coalesce(nullif(${total}, 0)::float8 / nullif(chunk_count, 0), ${fallback}, 1), 1)`;
