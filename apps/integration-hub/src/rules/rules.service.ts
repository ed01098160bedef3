import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { integrationHubV1 } from '@aether/contracts';
import { isUuid, NotFoundError, Violations } from '@aether/service-kit';
import { DataSource } from 'typeorm';
import { newestFirstPage, type RowPage } from '../common/keyset-page';
import { ConnectionsService } from '../connections/connections.service';
import { type Rule, ruleFromRow } from './rule';
import { checkActionConnection, parseActionKind, parseFilter, parseParams, parsePattern } from './rule-input';

const notFound = () => new NotFoundError('Rule not found');

/** Rules: which events (pattern + filter) make which action happen through which connection. */
@Injectable()
export class RulesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly connections: ConnectionsService,
  ) {}

  async create(req: integrationHubV1.CreateRuleRequest): Promise<Rule> {
    const v = new Violations();
    const name = v.requiredText('name', req.name, 200);
    const pattern = parsePattern(v, req.on);
    const filter = parseFilter(v, req.filterJson);
    const kind = parseActionKind(v, req.action?.kind ?? '');
    const params = parseParams(v, kind, req.action?.paramsJson ?? '');
    const connectionId = v.uuid('action.connectionId', req.action?.connectionId ?? '');
    await this.checkConnection(v, kind, params, connectionId);
    v.throwIfAny('Invalid rule');
    const rows: Record<string, unknown>[] = await this.db.query(
      `INSERT INTO rules (id, name, pattern, filter, action_kind, connection_id, params, enabled)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
      [randomUUID(), name, pattern, JSON.stringify(filter), kind, connectionId, JSON.stringify(params), req.enabled ?? true],
    );
    return ruleFromRow(rows[0]);
  }

  async get(id: string): Promise<Rule> {
    if (!isUuid(id)) throw notFound();
    const rows: Record<string, unknown>[] = await this.db.query(`SELECT * FROM rules WHERE id = $1`, [id]);
    if (!rows[0]) throw notFound();
    return ruleFromRow(rows[0]);
  }

  list(req: integrationHubV1.ListRulesRequest): Promise<RowPage<Rule>> {
    return newestFirstPage(this.db, 'rules', req.page, [], [], ruleFromRow);
  }

  async update(req: integrationHubV1.UpdateRuleRequest): Promise<Rule> {
    const current = await this.get(req.id);
    const v = new Violations();
    const name = req.name ? v.requiredText('name', req.name, 200) : current.name;
    const pattern = req.on ? parsePattern(v, req.on) : current.pattern;
    const filter = req.filterJson === undefined ? current.filter : parseFilter(v, req.filterJson === '{}' ? '' : req.filterJson);
    let kind = current.actionKind;
    let params = current.params;
    let connectionId = current.connectionId;
    if (req.action) {
      kind = parseActionKind(v, req.action.kind || current.actionKind)!;
      params = parseParams(v, kind, req.action.paramsJson)!;
      connectionId = req.action.connectionId ? v.uuid('action.connectionId', req.action.connectionId)! : current.connectionId;
      await this.checkConnection(v, kind, params, connectionId);
    }
    v.throwIfAny('Invalid rule');
    const [rows]: [Record<string, unknown>[], number] = await this.db.query(
      `UPDATE rules SET name = $2, pattern = $3, filter = $4, action_kind = $5, connection_id = $6, params = $7,
              enabled = $8, updated_at = now() WHERE id = $1 RETURNING *`,
      [current.id, name, pattern, JSON.stringify(filter), kind, connectionId, JSON.stringify(params), req.enabled ?? current.enabled],
    );
    if (!rows[0]) throw notFound();
    return ruleFromRow(rows[0]);
  }

  async delete(id: string): Promise<void> {
    if (!isUuid(id)) throw notFound();
    const [, count]: [unknown, number] = await this.db.query(`DELETE FROM rules WHERE id = $1`, [id]);
    if (count === 0) throw notFound();
  }

  /** Every enabled rule (the matcher filters them by pattern in memory; rules are few). */
  async enabled(): Promise<Rule[]> {
    const rows: Record<string, unknown>[] = await this.db.query(`SELECT * FROM rules WHERE enabled ORDER BY created_at`);
    return rows.map(ruleFromRow);
  }

  private async checkConnection(v: Violations, kind: Rule['actionKind'] | undefined, params: Rule['params'] | undefined, connectionId: string | undefined): Promise<void> {
    if (!kind || !params || !connectionId) return;
    const connection = await this.connections.find(connectionId);
    if (!connection) v.add('action.connectionId', 'is not a connection');
    else checkActionConnection(v, kind, params, connection);
  }
}
