import type { Connection } from 'mongoose';

export interface ServerFlavor {
  ferretdb: boolean;
  version: string;
}

/** MongoDB or FerretDB? FerretDB's buildInfo carries `ferretdbVersion` (it refuses TTL indexes). */
export async function detectServerFlavor(connection: Connection): Promise<ServerFlavor> {
  const db = connection.db;
  if (!db) throw new Error('mongodb is not connected');
  const info = (await db.admin().command({ buildInfo: 1 })) as { version?: string; ferretdbVersion?: string };
  return info.ferretdbVersion
    ? { ferretdb: true, version: info.ferretdbVersion }
    : { ferretdb: false, version: info.version ?? 'unknown' };
}
