import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { integrationHubV1 } from '@aether/contracts';
import type { CloudEvent } from '@aether/messaging';
import { ConflictError, isUuid, NotFoundError, Violations } from '@aether/service-kit';
import { DataSource } from 'typeorm';
import { newestFirstPage, type RowPage } from '../common/keyset-page';
import { eventContext, matchesFilter, storedEventOf } from '../rules/event-context';
import { matchesEventPattern } from '../rules/event-pattern';
import { RulesService } from '../rules/rules.service';
import { attemptFromRow, type Delivery, type DeliveryAttempt, deliveryFromRow, DELIVERY_STATUSES } from './delivery';
import { DeliveryWorker } from './delivery-worker';

const notFound = () => new NotFoundError('Delivery not found');
const DELIVERY_EVENTS = 'integration-hub.delivery.';
const LIST_COLUMNS =
  'id, rule_id, connection_id, event_id, event_type, action_kind, status, attempts, budget_used, last_error, next_attempt_at, lease_token, created_at, updated_at, delivered_at';

/** The delivery log: deliveries made from events by rules, read, and replayed. */
@Injectable()
export class DeliveriesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly rules: RulesService,
    private readonly worker: DeliveryWorker,
  ) {}

  /**
   * One pending delivery per enabled rule the event matches (pattern and filter); a redelivered
   * event adds nothing (unique event id + rule). Answers how many were created.
   */
  async createFor(event: CloudEvent<unknown>): Promise<number> {
    const stored = storedEventOf(event);
    const context = eventContext(stored);
    // A rule never fires on the outcome of its own deliveries, and outcomes of deliveries made
    // for outcomes fire nothing: notifications about failures cannot feed on themselves.
    const about = event.type.startsWith(DELIVERY_EVENTS) ? ((context.data as { delivery?: { ruleId?: string; eventType?: string } })?.delivery ?? {}) : undefined;
    if (about?.eventType?.startsWith(DELIVERY_EVENTS)) return 0;
    const rules = (await this.rules.enabled()).filter(
      (r) => r.id !== about?.ruleId && matchesEventPattern(r.pattern, event.type) && matchesFilter(r.filter, context),
    );
    let created = 0;
    for (const rule of rules) {
      const rows: unknown[] = await this.db.query(
        `INSERT INTO deliveries (id, rule_id, connection_id, event_id, event_type, event, action_kind, params, status, next_attempt_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', now()) ON CONFLICT (event_id, rule_id) DO NOTHING RETURNING id`,
        [randomUUID(), rule.id, rule.connectionId, event.id, event.type, JSON.stringify(stored), rule.actionKind, JSON.stringify(rule.params)],
      );
      created += rows.length;
    }
    if (created) this.worker.wake();
    return created;
  }

  async list(req: integrationHubV1.ListDeliveriesRequest): Promise<RowPage<Delivery>> {
    const { where, params } = this.filters(req.status, req.ruleId, req.connectionId, '', '');
    // Not the stored event (a webhook's payload may be megabytes): a page needs none of it.
    return newestFirstPage(this.db, 'deliveries', req.page, where, params, deliveryFromRow, LIST_COLUMNS);
  }

  async get(id: string): Promise<{ delivery: Delivery; attempts: DeliveryAttempt[] }> {
    if (!isUuid(id)) throw notFound();
    const rows: Record<string, unknown>[] = await this.db.query(`SELECT * FROM deliveries WHERE id = $1`, [id]);
    if (!rows[0]) throw notFound();
    const attempts: Record<string, unknown>[] = await this.db.query(`SELECT * FROM delivery_attempts WHERE delivery_id = $1 ORDER BY number`, [id]);
    return { delivery: deliveryFromRow(rows[0]), attempts: attempts.map(attemptFromRow) };
  }

  /** Sends one delivery again, whatever its status (asking by id is asking), with a fresh attempt budget. */
  async replay(id: string): Promise<Delivery> {
    if (!isUuid(id)) throw notFound();
    const [rows]: [Record<string, unknown>[], number] = await this.db.query(
      `UPDATE deliveries SET status = 'pending', budget_used = 0, next_attempt_at = now(), updated_at = now()
        WHERE id = $1 AND (lease_until IS NULL OR lease_until < now()) RETURNING *`,
      [id],
    );
    if (!rows[0]) {
      await this.get(id); // 404 when it does not exist
      throw new ConflictError('DELIVERY_IN_FLIGHT', 'The delivery is being attempted right now; replay it once the attempt ends');
    }
    this.worker.wake();
    return deliveryFromRow(rows[0]);
  }

  /** Replays every delivery matching the filter (default: dead ones); delivered ones only when status "delivered" is asked. */
  async replayMany(req: integrationHubV1.ReplayDeliveriesRequest): Promise<number> {
    const { where, params } = this.filters(req.status || 'dead', req.ruleId, req.connectionId, req.from, req.to);
    where.push(`(lease_until IS NULL OR lease_until < now())`);
    const [, count]: [unknown, number] = await this.db.query(
      `UPDATE deliveries SET status = 'pending', budget_used = 0, next_attempt_at = now(), updated_at = now() WHERE ${where.join(' AND ')}`,
      params,
    );
    if (count) this.worker.wake();
    return count;
  }

  private filters(status: string, ruleId: string, connectionId: string, from: string, to: string): { where: string[]; params: unknown[] } {
    const v = new Violations();
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (status && v.oneOf('status', status, DELIVERY_STATUSES)) add('status = ?', status);
    if (ruleId && v.uuid('ruleId', ruleId)) add('rule_id = ?', ruleId);
    if (connectionId && v.uuid('connectionId', connectionId)) add('connection_id = ?', connectionId);
    const fromAt = from ? v.date('from', from) : undefined;
    const toAt = to ? v.date('to', to) : undefined;
    if (fromAt) add('created_at >= ?', fromAt);
    if (toAt) add('created_at < ?', toAt);
    v.throwIfAny('Invalid filter');
    return { where, params };
  }
}
