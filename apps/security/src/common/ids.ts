const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs; anything else cannot name a row (answer 404, not a database error). */
export function isUuid(v: string | undefined | null): v is string {
  return typeof v === 'string' && UUID.test(v);
}
