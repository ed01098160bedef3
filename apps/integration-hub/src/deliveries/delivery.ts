import type { integrationHubV1 } from '@aether/contracts';
import { toIso } from '@aether/service-kit';
import type { StoredEvent } from '../rules/event-context';
import type { ActionKind, ActionParams } from '../rules/rule';

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed', 'dead'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface Delivery {
  id: string;
  ruleId: string;
  connectionId: string;
  eventId: string;
  eventType: string;
  event: StoredEvent;
  actionKind: ActionKind;
  params: ActionParams;
  status: DeliveryStatus;
  attempts: number;
  budgetUsed: number;
  lastError: string;
  nextAttemptAt: Date | null;
  leaseToken: string | null;
  createdAt: Date;
  updatedAt: Date;
  deliveredAt: Date | null;
}

export function deliveryFromRow(row: Record<string, unknown>): Delivery {
  return {
    id: row.id as string,
    ruleId: row.rule_id as string,
    connectionId: row.connection_id as string,
    eventId: row.event_id as string,
    eventType: row.event_type as string,
    event: row.event as StoredEvent,
    actionKind: row.action_kind as ActionKind,
    params: (row.params ?? {}) as ActionParams,
    status: row.status as DeliveryStatus,
    attempts: row.attempts as number,
    budgetUsed: row.budget_used as number,
    lastError: (row.last_error as string) ?? '',
    nextAttemptAt: (row.next_attempt_at as Date | null) ?? null,
    leaseToken: (row.lease_token as string | null) ?? null,
    createdAt: row.created_at as Date,
    updatedAt: row.updated_at as Date,
    deliveredAt: (row.delivered_at as Date | null) ?? null,
  };
}

export interface DeliveryAttempt {
  number: number;
  startedAt: Date;
  responseStatus: number;
  durationMs: number;
  outcome: 'delivered' | 'retry' | 'dead';
  error: string;
}

export function attemptFromRow(row: Record<string, unknown>): DeliveryAttempt {
  return {
    number: row.number as number,
    startedAt: row.started_at as Date,
    responseStatus: row.response_status as number,
    durationMs: row.duration_ms as number,
    outcome: row.outcome as DeliveryAttempt['outcome'],
    error: row.error as string,
  };
}

export function toDeliveryMessage(d: Delivery, attempts: DeliveryAttempt[] = []): integrationHubV1.Delivery {
  const waiting = d.status === 'pending' || d.status === 'failed';
  return {
    id: d.id,
    ruleId: d.ruleId,
    connectionId: d.connectionId,
    eventId: d.eventId,
    eventType: d.eventType,
    status: d.status,
    attempts: d.attempts,
    lastError: d.lastError,
    nextAttemptAt: waiting ? toIso(d.nextAttemptAt) : '',
    createdAt: toIso(d.createdAt),
    updatedAt: toIso(d.updatedAt),
    deliveredAt: d.status === 'delivered' ? toIso(d.deliveredAt) : '',
    attemptLog: attempts.map((a) => ({
      number: a.number,
      startedAt: toIso(a.startedAt),
      responseStatus: a.responseStatus,
      durationMs: a.durationMs,
      outcome: a.outcome,
      error: a.error,
    })),
  };
}
