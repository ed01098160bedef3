import type { integrationHubV1 } from '@aether/contracts';
import { toIso } from '@aether/service-kit';
import type { ConnectionConfig, ConnectionKind } from './connection-kinds';

/** A connection as the service works with it; its secrets stay sealed until `ConnectionsService.secretsOf`. */
export interface Connection {
  id: string;
  kind: ConnectionKind;
  name: string;
  config: ConnectionConfig;
  secretNames: string[];
  secretsBox: string;
  secretsKeyId: string;
  createdAt: Date;
  updatedAt: Date;
}

export function connectionFromRow(row: Record<string, unknown>): Connection {
  return {
    id: row.id as string,
    kind: row.kind as ConnectionKind,
    name: row.name as string,
    config: (row.config ?? {}) as ConnectionConfig,
    secretNames: (row.secret_names ?? []) as string[],
    secretsBox: row.secrets_box as string,
    secretsKeyId: row.secrets_key_id as string,
    createdAt: row.created_at as Date,
    updatedAt: row.updated_at as Date,
  };
}

/** The API's view: never a secret value. */
export function toConnectionMessage(c: Connection, generatedSecrets: Record<string, string> = {}): integrationHubV1.Connection {
  return {
    id: c.id,
    kind: c.kind,
    name: c.name,
    configJson: JSON.stringify(c.config),
    secretNames: [...c.secretNames].sort(),
    createdAt: toIso(c.createdAt),
    updatedAt: toIso(c.updatedAt),
    generatedSecrets,
  };
}
