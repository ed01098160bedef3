import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Pull-request reviews: one row per webhook delivery (the idempotency key: the same delivery twice
 * posts once) and the fingerprints of every finding said on a pull request (so a later push never
 * repeats one, whatever GitHub still lists).
 */
export class CreatePullRequestReviews1796123000000 implements MigrationInterface {
  name = 'CreatePullRequestReviews1796123000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE pull_request_reviews (
        connection_id uuid NOT NULL,
        delivery_id varchar(200) NOT NULL,
        repository varchar(300) NOT NULL,
        number integer NOT NULL,
        action varchar(40) NOT NULL,
        head_sha varchar(64) NOT NULL DEFAULT '',
        status varchar(16) NOT NULL CHECK (status IN ('pending', 'posted', 'skipped', 'failed')),
        -- Why it was skipped or failed (no secret, no code).
        detail varchar(1000) NOT NULL DEFAULT '',
        github_review_id bigint,
        inline_comments integer NOT NULL DEFAULT 0,
        body_findings integer NOT NULL DEFAULT 0,
        attempts integer NOT NULL DEFAULT 0,
        -- A run holds the delivery until then (a crashed run's claim lapses).
        claimed_until timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (connection_id, delivery_id)
      )`);
    await q.query(`CREATE INDEX pull_request_reviews_pr_idx ON pull_request_reviews (repository, number, created_at)`);
    await q.query(`
      CREATE TABLE pull_request_fingerprints (
        -- lower-case "owner/name" (GitHub names are case-insensitive).
        repository varchar(300) NOT NULL,
        number integer NOT NULL,
        fingerprint char(16) NOT NULL,
        path varchar(1024) NOT NULL,
        rule varchar(200) NOT NULL,
        line integer NOT NULL,
        -- inline or body: where the finding was said.
        placement varchar(8) NOT NULL CHECK (placement IN ('inline', 'body')),
        github_review_id bigint,
        head_sha varchar(64) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (repository, number, fingerprint)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE pull_request_fingerprints`);
    await q.query(`DROP TABLE pull_request_reviews`);
  }
}
