/** The allow-list label (CONTAINER_LABEL) as key and optional value. */
export interface AllowListLabel {
  key: string;
  /** undefined: any value. */
  value?: string;
  /** "key=value" or "key": the engine's label filter and Kubernetes' label selector syntax. */
  selector: string;
}

export function parseAllowListLabel(raw: string): AllowListLabel {
  const eq = raw.indexOf('=');
  if (eq < 0) return { key: raw, selector: raw };
  return { key: raw.slice(0, eq), value: raw.slice(eq + 1), selector: raw };
}

export function carriesLabel(labels: Record<string, string> | undefined, label: AllowListLabel): boolean {
  if (!labels || !Object.prototype.hasOwnProperty.call(labels, label.key)) return false;
  return label.value === undefined || labels[label.key] === label.value;
}

/** A client's label filter ("key" or "key=value"): the same rules as the allow-list label. */
export const LABEL_FILTER = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,252}(=[^\s,]{0,253})?$/;

export function matchesLabelFilters(labels: Record<string, string>, filters: string[]): boolean {
  return filters.every((f) => carriesLabel(labels, parseAllowListLabel(f)));
}

/** A client's container reference: an id (prefix) or a name; anything else cannot exist. */
export const CONTAINER_REF = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$/;
