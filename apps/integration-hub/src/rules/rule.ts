import type { integrationHubV1 } from '@aether/contracts';
import { toIso } from '@aether/service-kit';

export const ACTION_KINDS = ['message', 'comment', 'webhook'] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

/** The action's own fields (REST `action` minus kind and connectionId). */
export interface ActionParams {
  channel?: string;
  template?: string;
  /** comment: "owner/name"; default: the triggering GitHub event's repository. */
  repository?: string;
  /** comment: the issue or pull request number; default: the triggering GitHub event's. */
  issueNumber?: number;
}

export interface Rule {
  id: string;
  name: string;
  pattern: string;
  filter: Record<string, unknown>;
  actionKind: ActionKind;
  connectionId: string;
  params: ActionParams;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export function ruleFromRow(row: Record<string, unknown>): Rule {
  return {
    id: row.id as string,
    name: row.name as string,
    pattern: row.pattern as string,
    filter: (row.filter ?? {}) as Record<string, unknown>,
    actionKind: row.action_kind as ActionKind,
    connectionId: row.connection_id as string,
    params: (row.params ?? {}) as ActionParams,
    enabled: row.enabled as boolean,
    createdAt: row.created_at as Date,
    updatedAt: row.updated_at as Date,
  };
}

export function toRuleMessage(r: Rule): integrationHubV1.Rule {
  return {
    id: r.id,
    name: r.name,
    on: r.pattern,
    action: { kind: r.actionKind, connectionId: r.connectionId, paramsJson: JSON.stringify(r.params) },
    enabled: r.enabled,
    filterJson: Object.keys(r.filter).length ? JSON.stringify(r.filter) : '',
    createdAt: toIso(r.createdAt),
    updatedAt: toIso(r.updatedAt),
  };
}
