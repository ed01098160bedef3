import type { integrationHubV1 } from '@aether/contracts';
import { orNull } from '../http/pagination';
import type { ConnectionDto, DeliveryDetailDto, DeliveryDto, RuleActionDto, RuleDto } from './integrations.dto';

function parseObject<T>(json: string, fallback: T): T {
  if (!json) return fallback;
  try {
    return JSON.parse(json) as T;
  } catch {
    return fallback;
  }
}

export function toConnection(c: integrationHubV1.Connection): ConnectionDto {
  const dto: ConnectionDto = {
    id: c.id,
    kind: c.kind,
    name: c.name,
    config: parseObject(c.configJson, {}),
    secrets: c.secretNames ?? [],
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
  if (c.generatedSecrets && Object.keys(c.generatedSecrets).length) dto.generatedSecrets = c.generatedSecrets;
  return dto;
}

/** REST action fields minus kind and connectionId → the proto's params_json. */
export function actionParamsJson(a: RuleActionDto): string {
  const { kind: _kind, connectionId: _connectionId, ...params } = a;
  return JSON.stringify(params);
}

export function toRule(r: integrationHubV1.Rule): RuleDto {
  return {
    id: r.id,
    name: r.name,
    on: r.on,
    filter: r.filterJson ? parseObject<Record<string, unknown> | null>(r.filterJson, null) : null,
    action: { ...parseObject(r.action?.paramsJson ?? '', {}), kind: r.action?.kind ?? '', connectionId: r.action?.connectionId ?? '' },
    enabled: r.enabled,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

export function toDelivery(d: integrationHubV1.Delivery): DeliveryDto {
  return {
    id: d.id,
    ruleId: d.ruleId,
    connectionId: d.connectionId,
    eventId: d.eventId,
    eventType: d.eventType,
    status: d.status,
    attempts: d.attempts,
    lastError: orNull(d.lastError),
    nextAttemptAt: orNull(d.nextAttemptAt),
    createdAt: d.createdAt,
    deliveredAt: orNull(d.deliveredAt),
  };
}

export function toDeliveryDetail(d: integrationHubV1.Delivery): DeliveryDetailDto {
  return {
    ...toDelivery(d),
    attemptLog: (d.attemptLog ?? []).map((a) => ({
      number: a.number,
      startedAt: a.startedAt,
      status: a.responseStatus || null,
      durationMs: a.durationMs,
      outcome: a.outcome,
      error: orNull(a.error),
    })),
  };
}
