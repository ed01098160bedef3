import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  DiscordInteractionReceivedEvent,
  GithubWebhookReceivedEvent,
  type integrationHubV1,
  SlackEventReceivedEvent,
} from '@aether/contracts';
import { OutboxService } from '@aether/messaging';
import { isWellFormedText, NotFoundError, UnauthenticatedError, ValidationError, Violations } from '@aether/service-kit';
import { DataSource, type EntityManager } from 'typeorm';
import { IntegrationHubEnv } from '../config/integration-hub.env';
import type { Connection } from '../connections/connection';
import { ConnectionsService } from '../connections/connections.service';
import { verifyDiscordSignature, verifyGithubSignature, verifySlackSignature } from './signatures';

export const PROVIDERS = ['github', 'slack', 'discord'] as const;
export type Provider = (typeof PROVIDERS)[number];

/** The last segment of an event type: a routing-key word, as the event catalog accepts it for a family. */
const EVENT_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const DELIVERY_ID = /^[\x21-\x7e]{1,200}$/;

/** Discord interaction types (besides PING = 1) and the answer each gets while the work goes on. */
const DISCORD_INTERACTIONS: Record<number, { event: string; reply: unknown }> = {
  2: { event: 'application_command', reply: { type: 5 } }, // DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
  3: { event: 'message_component', reply: { type: 6 } }, // DEFERRED_UPDATE_MESSAGE
  4: { event: 'autocomplete', reply: { type: 8, data: { choices: [] } } }, // APPLICATION_COMMAND_AUTOCOMPLETE_RESULT
  5: { event: 'modal_submit', reply: { type: 5 } },
};

const badSignature = () => new UnauthenticatedError('INVALID_SIGNATURE', 'The webhook signature is missing, stale or does not match');
const unknownConnection = () => new NotFoundError('Connection not found');

/** A value from a payload, kept only when it can be stored and sent as is (no NUL, no lone surrogate). */
function str(value: unknown, max = 255): string {
  return typeof value === 'string' && value.length <= max && !value.includes('\u0000') && isWellFormedText(value) ? value : '';
}

function obj(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

type Recorded =
  | { kind: 'reply'; reply: unknown } // answered, nothing recorded (Slack url_verification, Discord PING)
  | { kind: 'ignored'; deliveryId: string }
  | {
      kind: 'record';
      deliveryId: string;
      /** The event type to publish; '' = recorded (de-duplicated) but not published (GitHub ping). */
      eventType: string;
      reply: unknown;
      publish?: (m: EntityManager, eventType: string) => Promise<void>;
    };

/**
 * Verified intake of GitHub, Slack and Discord webhooks: signature on the raw bytes first, then
 * one row per (connection, provider delivery id) and its event in the same transaction (the
 * outbox relays it after commit), so a redelivery is answered the same and published never again.
 */
@Injectable()
export class IntakeService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly connections: ConnectionsService,
    private readonly outbox: OutboxService,
    private readonly env: IntegrationHubEnv,
  ) {}

  async ingest(req: integrationHubV1.IngestWebhookRequest): Promise<integrationHubV1.IngestWebhookResponse> {
    const v = new Violations();
    const provider = v.oneOf('provider', req.provider, PROVIDERS);
    v.throwIfAny('Invalid webhook');
    const connection = await this.connections.find(req.connectionId);
    if (!connection || connection.kind !== provider) throw unknownConnection();
    const body = Buffer.from(req.body ?? new Uint8Array());
    const headers = req.headers ?? {};
    const receivedAt = this.receivedAt(req.receivedAt);
    const secrets = this.connections.secretsOf(connection);
    const tolerance = this.env.WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS;

    let verified: boolean;
    if (provider === 'github') {
      verified = !!secrets.webhookSecret && verifyGithubSignature(secrets.webhookSecret, body, headers['x-hub-signature-256']);
    } else if (provider === 'slack') {
      verified =
        !!secrets.signingSecret &&
        verifySlackSignature(secrets.signingSecret, body, headers['x-slack-request-timestamp'], headers['x-slack-signature'], receivedAt, tolerance);
    } else {
      const publicKey = connection.config.publicKey;
      verified =
        !!publicKey &&
        verifyDiscordSignature(publicKey, body, headers['x-signature-timestamp'], headers['x-signature-ed25519'], receivedAt, tolerance);
    }
    if (!verified) throw badSignature();

    let payload: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = JSON.parse(body.toString('utf8'));
      payload = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
    } catch {
      payload = undefined;
    }
    const text = body.toString('utf8');
    const at = receivedAt.toISOString();
    const recorded =
      provider === 'github'
        ? this.github(connection, headers, payload, text, at)
        : provider === 'slack'
          ? this.slack(connection, payload, text, at)
          : this.discord(connection, payload, text, at);

    if (recorded.kind === 'reply') return { accepted: true, deliveryId: '', duplicate: false, eventType: '', replyJson: JSON.stringify(recorded.reply) };
    if (recorded.kind === 'ignored') return { accepted: false, deliveryId: recorded.deliveryId, duplicate: false, eventType: '', replyJson: '' };
    return this.record(connection, provider!, recorded, receivedAt);
  }

  private async record(connection: Connection, provider: Provider, r: Extract<Recorded, { kind: 'record' }>, receivedAt: Date): Promise<integrationHubV1.IngestWebhookResponse> {
    const replyJson = r.reply === undefined ? '' : JSON.stringify(r.reply);
    return this.db.transaction(async (m) => {
      const inserted: unknown[] = await m.query(
        `INSERT INTO webhook_receipts (connection_id, delivery_id, provider, event_type, reply_json, received_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING delivery_id`,
        [connection.id, r.deliveryId, provider, r.eventType, replyJson, receivedAt],
      );
      if (inserted.length === 0) {
        const [first]: { event_type: string; reply_json: string }[] = await m.query(
          `SELECT event_type, reply_json FROM webhook_receipts WHERE connection_id = $1 AND delivery_id = $2`,
          [connection.id, r.deliveryId],
        );
        return { accepted: true, deliveryId: r.deliveryId, duplicate: true, eventType: first?.event_type ?? '', replyJson: first?.reply_json ?? replyJson };
      }
      if (r.eventType && r.publish) await r.publish(m, r.eventType);
      return { accepted: true, deliveryId: r.deliveryId, duplicate: false, eventType: r.eventType, replyJson };
    });
  }

  private github(c: Connection, headers: Record<string, string>, payload: Record<string, unknown> | undefined, text: string, at: string): Recorded {
    const deliveryId = headers['x-github-delivery'] ?? '';
    const event = headers['x-github-event'] ?? '';
    if (!DELIVERY_ID.test(deliveryId)) throw new ValidationError('Invalid webhook', [{ field: 'X-GitHub-Delivery', message: 'is required' }]);
    if (!EVENT_NAME.test(event) || !payload) return { kind: 'ignored', deliveryId };
    // GitHub's ping (sent when a hook is created) is answered and remembered, never published.
    if (event === 'ping') return { kind: 'record', deliveryId, eventType: '', reply: { ok: true } };
    const repository = str(obj(payload.repository).full_name);
    return {
      kind: 'record',
      deliveryId,
      eventType: `integration-hub.github.${event}`,
      reply: undefined,
      publish: async (m, type) => {
        await this.outbox.publish(
          m,
          GithubWebhookReceivedEvent,
          { connectionId: c.id, deliveryId, event, action: str(payload.action), repository, sender: str(obj(payload.sender).login), payloadJson: text, receivedAt: at },
          { type: type as `integration-hub.github.${string}` },
        );
      },
    };
  }

  private slack(c: Connection, payload: Record<string, unknown> | undefined, text: string, at: string): Recorded {
    if (!payload) return { kind: 'ignored', deliveryId: '' };
    // Slack checks the endpoint with a signed url_verification: answer its challenge.
    if (payload.type === 'url_verification') return { kind: 'reply', reply: { challenge: str(payload.challenge, 1000) } };
    const deliveryId = str(payload.event_id, 200);
    const inner = obj(payload.event);
    const event = str(inner.type, 64);
    if (payload.type !== 'event_callback' || !DELIVERY_ID.test(deliveryId) || !EVENT_NAME.test(event)) return { kind: 'ignored', deliveryId };
    return {
      kind: 'record',
      deliveryId,
      eventType: `integration-hub.slack.${event}`,
      reply: undefined,
      publish: async (m, type) => {
        await this.outbox.publish(
          m,
          SlackEventReceivedEvent,
          { connectionId: c.id, deliveryId, event, teamId: str(payload.team_id), channel: str(inner.channel), user: str(inner.user), payloadJson: text, receivedAt: at },
          { type: type as `integration-hub.slack.${string}` },
        );
      },
    };
  }

  private discord(c: Connection, payload: Record<string, unknown> | undefined, text: string, at: string): Recorded {
    if (!payload) return { kind: 'ignored', deliveryId: '' };
    if (payload.type === 1) return { kind: 'reply', reply: { type: 1 } };
    const deliveryId = str(payload.id, 200);
    const known = typeof payload.type === 'number' ? DISCORD_INTERACTIONS[payload.type] : undefined;
    if (!known || !DELIVERY_ID.test(deliveryId)) return { kind: 'ignored', deliveryId };
    const data = obj(payload.data);
    return {
      kind: 'record',
      deliveryId,
      eventType: `integration-hub.discord.${known.event}`,
      reply: known.reply,
      publish: async (m, type) => {
        await this.outbox.publish(
          m,
          DiscordInteractionReceivedEvent,
          {
            connectionId: c.id,
            deliveryId,
            event: known.event,
            guildId: str(payload.guild_id),
            channelId: str(payload.channel_id) || str(obj(payload.channel).id),
            name: str(data.name) || str(data.custom_id),
            payloadJson: text,
            receivedAt: at,
          },
          { type: type as `integration-hub.discord.${string}` },
        );
      },
    };
  }

  /** The gateway's receipt time when sane (within a minute of ours), else now. */
  private receivedAt(raw: string): Date {
    const now = Date.now();
    const t = raw ? Date.parse(raw) : NaN;
    return Number.isFinite(t) && Math.abs(t - now) < 60_000 ? new Date(t) : new Date(now);
  }

  /** Forgets receipts older than the retention (their delivery ids may then be accepted again). */
  async purgeReceipts(): Promise<number> {
    const [, count]: [unknown, number] = await this.db.query(
      `DELETE FROM webhook_receipts WHERE ctid IN (SELECT ctid FROM webhook_receipts WHERE received_at < now() - make_interval(days => $1) LIMIT 5000)`,
      [this.env.WEBHOOK_RECEIPT_RETENTION_DAYS],
    );
    return count;
  }
}
