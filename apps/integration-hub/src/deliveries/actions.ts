import { Webhook } from 'standardwebhooks';
import type { Connection } from '../connections/connection';
import { type ConnectionSecrets, DEFAULT_API_BASE_URLS } from '../connections/connection-kinds';
import { DEFAULT_TEMPLATE, eventContext, renderTemplate, type StoredEvent, valueAt } from '../rules/event-context';
import type { ActionKind, ActionParams } from '../rules/rule';
import type { OutboundRequest, OutboundResponse } from '../outbound/outbound-http';
import type { AttemptFailure } from './retry-policy';

const USER_AGENT = 'aether-integration-hub/1';

/** What a delivery sends: the request, and how to read a 2xx (Slack's Web API fails with 200 `ok:false`). */
export interface PreparedAction {
  request: OutboundRequest;
  /** A failure hidden in a 2xx answer, or undefined when it really succeeded. */
  failureIn2xx?: (res: OutboundResponse) => AttemptFailure | undefined;
}

/** The action cannot be sent as configured (no target, missing secret): dead at once, with this reason. */
export class ActionNotSendableError extends Error {}

/** Slack's own escaping for text (https://api.slack.com/reference/surfaces/formatting#escaping). */
const slackEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Slack Web API errors worth retrying; every other `ok:false` is a permanent refusal (invalid_auth, channel_not_found, ...). */
const SLACK_TRANSIENT = new Set(['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

function join(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path}`;
}

export interface ActionInput {
  deliveryId: string;
  kind: ActionKind;
  params: ActionParams;
  event: StoredEvent;
  connection: Connection;
  secrets: ConnectionSecrets;
  now: Date;
}

/** The HTTP request a delivery makes, per action and connection kind. */
export function prepareAction(input: ActionInput): PreparedAction {
  const { kind, params, event, connection: c, secrets } = input;
  const context = eventContext(event);
  const template = params.template ?? DEFAULT_TEMPLATE;

  if (kind === 'message' && c.kind === 'slack') {
    const text = renderTemplate(template, context, slackEscape);
    if (secrets.botToken) {
      const channel = params.channel ?? c.config.channel;
      if (!channel) throw new ActionNotSendableError('No Slack channel: set action.channel or the connection config.channel');
      return {
        request: {
          url: join(c.config.apiBaseUrl ?? DEFAULT_API_BASE_URLS.slack!, '/chat.postMessage'),
          headers: { authorization: `Bearer ${secrets.botToken}`, 'content-type': 'application/json; charset=utf-8', 'user-agent': USER_AGENT },
          body: JSON.stringify({ channel, text }),
        },
        failureIn2xx: (res) => {
          let parsed: { ok?: unknown; error?: unknown } | undefined;
          try {
            parsed = JSON.parse(res.body) as { ok?: unknown; error?: unknown };
          } catch {
            return { status: res.status, permanent: false, reason: `HTTP ${res.status}: Slack answered something other than JSON` };
          }
          if (parsed.ok === true) return undefined;
          const error = typeof parsed.error === 'string' ? parsed.error.slice(0, 100) : 'unknown_error';
          return { status: res.status, permanent: !SLACK_TRANSIENT.has(error), reason: `Slack ok:false: ${error}` };
        },
      };
    }
    if (secrets.incomingWebhookUrl) {
      return {
        request: { url: secrets.incomingWebhookUrl, headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT }, body: JSON.stringify({ text }) },
      };
    }
    throw new ActionNotSendableError('The Slack connection has neither botToken nor incomingWebhookUrl');
  }

  if (kind === 'message' && c.kind === 'discord') {
    if (!secrets.webhookUrl) throw new ActionNotSendableError('The Discord connection has no webhookUrl');
    const url = new URL(secrets.webhookUrl);
    // wait=true: Discord answers with the created message, so a refusal is visible.
    url.searchParams.set('wait', 'true');
    const content = renderTemplate(template, context).slice(0, 2000);
    return {
      request: {
        url: url.toString(),
        headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT },
        // An event's text must never ping @everyone or roles.
        body: JSON.stringify({ content, allowed_mentions: { parse: [] } }),
      },
    };
  }

  if (kind === 'comment' && c.kind === 'github') {
    if (!secrets.token) throw new ActionNotSendableError('The GitHub connection has no token');
    const repository = params.repository ?? (valueAt(context, 'payload.repository.full_name') as string | undefined) ?? (valueAt(context, 'data.repository') as string | undefined);
    const number =
      params.issueNumber ??
      (valueAt(context, 'payload.issue.number') as number | undefined) ??
      (valueAt(context, 'payload.pull_request.number') as number | undefined) ??
      (valueAt(context, 'payload.number') as number | undefined);
    if (typeof repository !== 'string' || !/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository) || !Number.isInteger(number)) {
      throw new ActionNotSendableError('No issue or pull request to comment on: the event has none and the action names none');
    }
    return {
      request: {
        url: join(c.config.apiBaseUrl ?? DEFAULT_API_BASE_URLS.github!, `/repos/${repository}/issues/${number}/comments`),
        headers: {
          authorization: `Bearer ${secrets.token}`,
          accept: 'application/vnd.github+json',
          'x-github-api-version': '2022-11-28',
          'content-type': 'application/json',
          'user-agent': USER_AGENT,
        },
        body: JSON.stringify({ body: renderTemplate(template, context) }),
      },
    };
  }

  if (kind === 'webhook' && c.kind === 'webhook') {
    if (!secrets.signingSecret) throw new ActionNotSendableError('The webhook connection has no signingSecret');
    const payload = JSON.stringify({
      type: event.type,
      timestamp: input.now.toISOString(),
      data: { eventId: event.id, source: event.source, subject: event.subject ?? null, time: event.time, ...(params.template ? { message: renderTemplate(params.template, context) } : {}), event: event.data },
    });
    // Standard Webhooks: webhook-id is the delivery id, the same on every retry, so receivers de-duplicate.
    const signature = new Webhook(secrets.signingSecret).sign(input.deliveryId, input.now, payload);
    return {
      request: {
        url: c.config.url,
        headers: {
          'content-type': 'application/json',
          'user-agent': USER_AGENT,
          'webhook-id': input.deliveryId,
          'webhook-timestamp': String(Math.floor(input.now.getTime() / 1000)),
          'webhook-signature': signature,
        },
        body: payload,
      },
    };
  }

  throw new ActionNotSendableError(`A ${kind} action cannot be sent through a ${c.kind} connection`);
}
