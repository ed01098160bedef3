import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Connections (secrets sealed), webhook receipts (de-duplication), rules, deliveries and their
 * attempts. Deliveries keep no foreign keys on purpose: the log outlives a deleted rule or
 * connection.
 */
export class CreateIntegrationHubSchema1796113053874 implements MigrationInterface {
  name = 'CreateIntegrationHubSchema1796113053874';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE connections (
        id uuid PRIMARY KEY,
        kind varchar(16) NOT NULL CHECK (kind IN ('github', 'slack', 'discord', 'webhook')),
        name varchar(200) NOT NULL,
        config jsonb NOT NULL DEFAULT '{}',
        -- Names of the secrets set (shown by the API); the values only inside secrets_box.
        secret_names text[] NOT NULL DEFAULT '{}',
        -- AES-256-GCM of the secrets' JSON under key secrets_key_id (associated data: the id).
        secrets_box text NOT NULL,
        secrets_key_id varchar(32) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX connections_created_idx ON connections (created_at, id)`);
    await q.query(`CREATE INDEX connections_key_idx ON connections (secrets_key_id)`);

    await q.query(`
      CREATE TABLE webhook_receipts (
        connection_id uuid NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
        delivery_id varchar(200) NOT NULL,
        provider varchar(16) NOT NULL,
        event_type varchar(255) NOT NULL DEFAULT '',
        reply_json text NOT NULL DEFAULT '',
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (connection_id, delivery_id)
      )`);
    await q.query(`CREATE INDEX webhook_receipts_received_idx ON webhook_receipts (received_at)`);

    await q.query(`
      CREATE TABLE rules (
        id uuid PRIMARY KEY,
        name varchar(200) NOT NULL,
        pattern varchar(255) NOT NULL,
        filter jsonb NOT NULL DEFAULT '{}',
        action_kind varchar(16) NOT NULL CHECK (action_kind IN ('message', 'comment', 'webhook')),
        connection_id uuid NOT NULL,
        params jsonb NOT NULL DEFAULT '{}',
        enabled boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX rules_created_idx ON rules (created_at, id)`);
    await q.query(`CREATE INDEX rules_enabled_idx ON rules (enabled) WHERE enabled`);

    await q.query(`
      CREATE TABLE deliveries (
        id uuid PRIMARY KEY,
        rule_id uuid NOT NULL,
        connection_id uuid NOT NULL,
        event_id varchar(200) NOT NULL,
        event_type varchar(255) NOT NULL,
        -- The triggering CloudEvent and the action as the rule said when it matched: a replay
        -- sends what the event produced, whatever the rule says today.
        event jsonb NOT NULL,
        action_kind varchar(16) NOT NULL,
        params jsonb NOT NULL DEFAULT '{}',
        status varchar(16) NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'dead')),
        attempts integer NOT NULL DEFAULT 0,
        -- Attempts spent since the delivery was created or last replayed (the retry budget).
        budget_used integer NOT NULL DEFAULT 0,
        last_error text NOT NULL DEFAULT '',
        next_attempt_at timestamptz NULL,
        -- A worker holds it until then (a crashed worker's claim expires).
        lease_until timestamptz NULL,
        lease_token uuid NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz NULL,
        CONSTRAINT deliveries_event_rule_uq UNIQUE (event_id, rule_id)
      )`);
    await q.query(`CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at) WHERE status IN ('pending', 'failed')`);
    await q.query(`CREATE INDEX deliveries_created_idx ON deliveries (created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX deliveries_status_idx ON deliveries (status, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX deliveries_rule_idx ON deliveries (rule_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX deliveries_connection_idx ON deliveries (connection_id, created_at DESC, id DESC)`);

    await q.query(`
      CREATE TABLE delivery_attempts (
        delivery_id uuid NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
        number integer NOT NULL,
        started_at timestamptz NOT NULL,
        response_status integer NOT NULL DEFAULT 0,
        duration_ms integer NOT NULL,
        outcome varchar(16) NOT NULL CHECK (outcome IN ('delivered', 'retry', 'dead')),
        error text NOT NULL DEFAULT '',
        PRIMARY KEY (delivery_id, number)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE delivery_attempts`);
    await q.query(`DROP TABLE deliveries`);
    await q.query(`DROP TABLE rules`);
    await q.query(`DROP TABLE webhook_receipts`);
    await q.query(`DROP TABLE connections`);
  }
}
