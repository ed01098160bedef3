import { Violations } from '@aether/service-kit';
import type { Connection } from '../connections/connection';
import { EVENT_PATTERN } from './event-pattern';
import { ACTION_KINDS, type ActionKind, type ActionParams } from './rule';

const MAX_FILTER_ENTRIES = 20;
const REPOSITORY = /^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/;

export function parsePattern(v: Violations, raw: string): string | undefined {
  if (!raw || raw.length > 255 || !EVENT_PATTERN.test(raw)) {
    v.add('on', 'must be an event type pattern: dot-separated words of a-z 0-9 _ -, "*" for one word, "#" for any number');
    return undefined;
  }
  return raw;
}

/** `{"<dotted path>": scalar}`; '' = no filter. */
export function parseFilter(v: Violations, raw: string): Record<string, unknown> | undefined {
  if (raw === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    v.add('filter', 'must be a JSON object');
    return undefined;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    v.add('filter', 'must be an object of {"<dotted path>": value}');
    return undefined;
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_FILTER_ENTRIES) v.add('filter', `must have at most ${MAX_FILTER_ENTRIES} conditions`);
  for (const [path, expected] of entries) {
    if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(path) || path.length > 200) v.add(`filter.${path}`, 'must be a dotted path such as data.action');
    else if (expected !== null && !['string', 'number', 'boolean'].includes(typeof expected)) v.add(`filter.${path}`, 'must be a string, number, boolean or null');
    else if (typeof expected === 'string') v.text(`filter.${path}`, expected, 1000);
  }
  return value as Record<string, unknown>;
}

export function parseActionKind(v: Violations, raw: string): ActionKind | undefined {
  return v.oneOf('action.kind', raw, ACTION_KINDS);
}

export function parseParams(v: Violations, kind: ActionKind | undefined, raw: string): ActionParams | undefined {
  let value: unknown;
  try {
    value = raw === '' ? {} : JSON.parse(raw);
  } catch {
    v.add('action', 'must be an object');
    return undefined;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    v.add('action', 'must be an object');
    return undefined;
  }
  const p = value as Record<string, unknown>;
  const allowed: Record<ActionKind, string[]> = {
    message: ['channel', 'template'],
    comment: ['template', 'repository', 'issueNumber'],
    webhook: ['template'],
  };
  for (const key of Object.keys(p)) {
    if (kind && !allowed[kind].includes(key)) v.add(`action.${key}`, `is not a field of a ${kind} action (allowed: ${allowed[kind].join(', ')})`);
  }
  if (p.channel !== undefined && (typeof p.channel !== 'string' || !v.text('action.channel', p.channel, 200))) v.add('action.channel', 'must be a channel id or name');
  if (p.template !== undefined && (typeof p.template !== 'string' || !v.text('action.template', p.template, 4000))) v.add('action.template', 'must be text of at most 4000 characters');
  if (p.repository !== undefined && (typeof p.repository !== 'string' || !REPOSITORY.test(p.repository))) v.add('action.repository', 'must be "owner/name"');
  if (p.issueNumber !== undefined && (!Number.isInteger(p.issueNumber) || (p.issueNumber as number) < 1)) v.add('action.issueNumber', 'must be a positive integer');
  return p as ActionParams;
}

/** The connection must fit the action and hold what sending needs. */
export function checkActionConnection(v: Violations, kind: ActionKind, params: ActionParams, c: Connection): void {
  const fits: Record<ActionKind, string[]> = { message: ['slack', 'discord'], comment: ['github'], webhook: ['webhook'] };
  if (!fits[kind].includes(c.kind)) {
    v.add('action.connectionId', `a ${kind} action needs a ${fits[kind].join(' or ')} connection, not ${c.kind}`);
    return;
  }
  const has = (name: string) => c.secretNames.includes(name);
  if (c.kind === 'slack') {
    if (!has('botToken') && !has('incomingWebhookUrl')) v.add('action.connectionId', 'the Slack connection needs the secret botToken or incomingWebhookUrl to send');
    else if (!has('incomingWebhookUrl') && !params.channel && !c.config.channel) v.add('action.channel', 'is required (or set config.channel on the connection) to post with a bot token');
  }
  if (c.kind === 'discord' && !has('webhookUrl')) v.add('action.connectionId', 'the Discord connection needs the secret webhookUrl to send');
  if (c.kind === 'github' && !has('token')) v.add('action.connectionId', 'the GitHub connection needs the secret token to comment');
}
