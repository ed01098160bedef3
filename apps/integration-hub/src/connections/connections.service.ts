import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { integrationHubV1 } from '@aether/contracts';
import { isUuid, NotFoundError, Violations } from '@aether/service-kit';
import { DataSource } from 'typeorm';
import { newestFirstPage, type RowPage } from '../common/keyset-page';
import { SecretBox } from '../crypto/secret-box';
import { type Connection, connectionFromRow } from './connection';
import {
  checkConfig,
  checkRequiredSecrets,
  checkSecrets,
  CONNECTION_KINDS,
  type ConnectionSecrets,
  generateWebhookSecret,
  parseStringObject,
} from './connection-kinds';

const notFound = () => new NotFoundError('Connection not found');

/** Connections and their sealed secrets (AES-256-GCM, associated data = the connection id). */
@Injectable()
export class ConnectionsService {
  private readonly logger = new Logger(ConnectionsService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly box: SecretBox,
  ) {}

  async create(req: integrationHubV1.CreateConnectionRequest): Promise<{ connection: Connection; generated: Record<string, string> }> {
    const v = new Violations();
    const kind = v.oneOf('kind', req.kind, CONNECTION_KINDS);
    const name = v.requiredText('name', req.name, 200);
    const config = parseStringObject(v, 'config', req.configJson);
    const secrets: ConnectionSecrets = { ...(req.secrets ?? {}) };
    if (kind && config) checkConfig(v, kind, config);
    if (kind) checkSecrets(v, kind, secrets, false);
    const generated: Record<string, string> = {};
    if (kind === 'webhook' && !secrets.signingSecret) secrets.signingSecret = generated.signingSecret = generateWebhookSecret();
    if (kind) checkRequiredSecrets(v, kind, secrets);
    v.throwIfAny('Invalid connection');
    const id = randomUUID();
    const sealed = this.box.seal(JSON.stringify(secrets), id);
    const rows: Record<string, unknown>[] = await this.db.query(
      `INSERT INTO connections (id, kind, name, config, secret_names, secrets_box, secrets_key_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [id, kind, name, JSON.stringify(config), Object.keys(secrets), sealed.box, sealed.keyId],
    );
    return { connection: connectionFromRow(rows[0]), generated };
  }

  async get(id: string): Promise<Connection> {
    if (!isUuid(id)) throw notFound();
    const rows: Record<string, unknown>[] = await this.db.query(`SELECT * FROM connections WHERE id = $1`, [id]);
    if (!rows[0]) throw notFound();
    return connectionFromRow(rows[0]);
  }

  /** The connection, or undefined (webhook intake: an unknown id is not an error to log). */
  async find(id: string): Promise<Connection | undefined> {
    return isUuid(id) ? this.get(id).catch(() => undefined) : undefined;
  }

  async list(req: integrationHubV1.ListConnectionsRequest): Promise<RowPage<Connection>> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (req.kind) {
      const v = new Violations();
      v.oneOf('kind', req.kind, CONNECTION_KINDS);
      v.throwIfAny('Invalid filter');
      params.push(req.kind);
      where.push(`kind = $1`);
    }
    return newestFirstPage(this.db, 'connections', req.page, where, params, connectionFromRow);
  }

  async update(req: integrationHubV1.UpdateConnectionRequest): Promise<Connection> {
    return this.db.transaction(async (m) => {
      if (!isUuid(req.id)) throw notFound();
      const rows: Record<string, unknown>[] = await m.query(`SELECT * FROM connections WHERE id = $1 FOR UPDATE`, [req.id]);
      if (!rows[0]) throw notFound();
      const current = connectionFromRow(rows[0]);
      const v = new Violations();
      const name = req.name ? v.requiredText('name', req.name, 200) : current.name;
      const config = req.configJson ? parseStringObject(v, 'config', req.configJson) : current.config;
      if (req.configJson && config) checkConfig(v, current.kind, config);
      const changes = req.secrets ?? {};
      checkSecrets(v, current.kind, changes, true);
      const secrets = this.secretsOf(current);
      for (const [k, value] of Object.entries(changes)) {
        if (value === '') delete secrets[k];
        else secrets[k] = value;
      }
      checkRequiredSecrets(v, current.kind, secrets);
      v.throwIfAny('Invalid connection');
      const sealed = this.box.seal(JSON.stringify(secrets), current.id);
      // TypeORM answers an UPDATE with [rows, affected].
      const [updated]: [Record<string, unknown>[], number] = await m.query(
        `UPDATE connections SET name = $2, config = $3, secret_names = $4, secrets_box = $5, secrets_key_id = $6, updated_at = now()
          WHERE id = $1 RETURNING *`,
        [current.id, name, JSON.stringify(config), Object.keys(secrets), sealed.box, sealed.keyId],
      );
      return connectionFromRow(updated[0]);
    });
  }

  async delete(id: string): Promise<void> {
    if (!isUuid(id)) throw notFound();
    const res: [unknown[], number] = await this.db.query(`DELETE FROM connections WHERE id = $1`, [id]);
    if (res[1] === 0) throw notFound();
  }

  /** The decrypted secrets: for verifying and sending only, never for an answer or a log line. */
  secretsOf(connection: Connection): ConnectionSecrets {
    return JSON.parse(this.box.open({ keyId: connection.secretsKeyId, box: connection.secretsBox }, connection.id)) as ConnectionSecrets;
  }

  /**
   * Key rotation: re-seals up to `batch` connections whose secrets are under an older key with
   * the active one. Answers how many it re-sealed (a full batch: there may be more).
   */
  async resealBatch(batch = 100): Promise<number> {
    return this.db.transaction(async (m) => {
      const rows: Record<string, unknown>[] = await m.query(
        `SELECT * FROM connections WHERE secrets_key_id <> $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [this.box.activeKeyId, batch],
      );
      for (const row of rows) {
        const c = connectionFromRow(row);
        try {
          const sealed = this.box.seal(JSON.stringify(this.secretsOf(c)), c.id);
          await m.query(`UPDATE connections SET secrets_box = $2, secrets_key_id = $3 WHERE id = $1`, [c.id, sealed.box, sealed.keyId]);
        } catch {
          // A key no longer in the ring: the row cannot be opened; say so once per pass, without values.
          this.logger.error({ connectionId: c.id, keyId: c.secretsKeyId }, 'Connection secrets are sealed under a key that is not in INTEGRATION_HUB_SECRET_KEYS');
        }
      }
      return rows.length;
    });
  }
}
