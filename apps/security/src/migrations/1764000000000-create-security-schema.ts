import { MigrationInterface, QueryRunner } from 'typeorm';

/** Users, refresh-token families, API keys, login throttling and the audit log. */
export class CreateSecuritySchema1764000000000 implements MigrationInterface {
  name = 'CreateSecuritySchema1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY,
        email text NOT NULL,
        name text NOT NULL,
        password_hash text NOT NULL,
        roles text[] NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX users_email_lower_uq ON users (lower(email))`);
    await q.query(`CREATE INDEX users_created_idx ON users (created_at, id)`);

    await q.query(`
      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        family_id uuid NOT NULL,
        parent_id uuid NULL REFERENCES refresh_tokens (id) ON DELETE SET NULL,
        token_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz NULL,
        revoked_at timestamptz NULL,
        client_ip text NULL,
        user_agent text NULL
      )`);
    await q.query(`CREATE UNIQUE INDEX refresh_tokens_hash_uq ON refresh_tokens (token_hash)`);
    await q.query(`CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id)`);
    await q.query(`CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id)`);

    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name text NOT NULL,
        prefix text NOT NULL,
        key_hash text NOT NULL,
        scopes text[] NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NULL,
        revoked_at timestamptz NULL,
        last_used_at timestamptz NULL
      )`);
    await q.query(`CREATE UNIQUE INDEX api_keys_hash_uq ON api_keys (key_hash)`);
    await q.query(`CREATE INDEX api_keys_user_idx ON api_keys (user_id, created_at DESC, id DESC)`);

    await q.query(`
      CREATE TABLE login_throttles (
        email text PRIMARY KEY,
        failures integer NOT NULL,
        window_started_at timestamptz NOT NULL,
        locked_until timestamptz NULL
      )`);

    // No foreign keys: the audit log outlives what it talks about.
    await q.query(`
      CREATE TABLE audit_events (
        id uuid PRIMARY KEY,
        seq bigserial NOT NULL UNIQUE,
        type text NOT NULL,
        actor_id uuid NULL,
        subject_id uuid NULL,
        ip text NULL,
        details jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX audit_events_type_seq_idx ON audit_events (type, seq DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_events`);
    await q.query(`DROP TABLE login_throttles`);
    await q.query(`DROP TABLE api_keys`);
    await q.query(`DROP TABLE refresh_tokens`);
    await q.query(`DROP TABLE users`);
  }
}
