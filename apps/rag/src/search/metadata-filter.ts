import { Violations } from '@aether/service-kit';

/** A metadata condition: the chunk's value of `key` is one of `values`. */
export interface MetadataCondition {
  key: string;
  values: string[];
}

export const METADATA_KEY = /^[A-Za-z0-9_.-]{1,64}$/;
const MAX_METADATA_ENTRIES = 32;
const MAX_VALUE_LENGTH = 512;
const MAX_FILTER_VALUES = 100;

/** Document metadata as stored on every chunk: up to 32 string entries with plain keys. */
export function checkMetadata(v: Violations, field: string, metadata: Record<string, string> | undefined): Record<string, string> {
  const entries = Object.entries(metadata ?? {});
  if (entries.length > MAX_METADATA_ENTRIES) v.add(field, `may have at most ${MAX_METADATA_ENTRIES} entries`);
  for (const [key, value] of entries) {
    if (!METADATA_KEY.test(key)) v.add(`${field}.${key}`, 'keys are 1-64 letters, digits, "_", "." or "-"');
    else v.text(`${field}.${key}`, value, MAX_VALUE_LENGTH);
  }
  return Object.fromEntries(entries);
}

/** The conditions of a search: `filter` (equality) and `filters` (any of several values), all ANDed. */
export function metadataConditions(filter: Record<string, string> | undefined, filters: { key: string; values: string[] }[] | undefined): MetadataCondition[] {
  const v = new Violations();
  const conditions: MetadataCondition[] = [];
  for (const [key, value] of Object.entries(filter ?? {})) conditions.push({ key, values: [value] });
  for (const f of filters ?? []) conditions.push({ key: f.key, values: [...(f.values ?? [])] });
  for (const c of conditions) {
    if (!METADATA_KEY.test(c.key)) v.add(`filter.${c.key}`, 'keys are 1-64 letters, digits, "_", "." or "-"');
    if (c.values.length === 0) v.add(`filter.${c.key}`, 'needs at least one value');
    if (c.values.length > MAX_FILTER_VALUES) v.add(`filter.${c.key}`, `may list at most ${MAX_FILTER_VALUES} values`);
    for (const value of c.values) if (typeof value !== 'string' || value.length > MAX_VALUE_LENGTH) v.add(`filter.${c.key}`, 'values are strings of at most 512 characters');
  }
  if (conditions.length > MAX_METADATA_ENTRIES) v.add('filter', `may have at most ${MAX_METADATA_ENTRIES} conditions`);
  v.throwIfAny('The search filter is not valid');
  return conditions;
}

/** SQL for the conditions on `alias.metadata` (jsonb), with parameters numbered from `firstParam`. */
export function metadataSql(alias: string, conditions: MetadataCondition[], firstParam: number): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  for (const c of conditions) {
    params.push(c.key, c.values);
    parts.push(`(${alias}.metadata ->> $${firstParam + params.length - 2}) = ANY($${firstParam + params.length - 1}::text[])`);
  }
  return { sql: parts.length ? parts.join(' AND ') : 'TRUE', params };
}
