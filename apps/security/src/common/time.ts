/** Proto timestamps are ISO-8601 strings; empty means unset. */
export function toIso(d: Date | null | undefined): string {
  return d ? d.toISOString() : '';
}
