import type { MigrationInterface, QueryRunner } from 'typeorm';

export const OUTBOX_NOTIFY_CHANNEL = 'outbox_events';

/**
 * Creates `outbox_events`. Apps add it to their TypeORM `migrations` list:
 * `migrations: [...OUTBOX_MIGRATIONS, ...own]`.
 * The statement trigger NOTIFYs the relay; PostgreSQL delivers it only on commit (and drops it on
 * rollback), so the relay wakes exactly when there is something committed to publish.
 */
export class CreateOutboxEvents1760000000000 implements MigrationInterface {
  name = 'CreateOutboxEvents1760000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "outbox_events" (
        "id" uuid NOT NULL,
        "seq" BIGSERIAL NOT NULL,
        "type" varchar(255) NOT NULL,
        "subject" varchar(255),
        "payload" jsonb NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "published_at" timestamptz,
        "attempts" integer NOT NULL DEFAULT 0,
        "last_error" text,
        CONSTRAINT "PK_outbox_events" PRIMARY KEY ("id")
      )`);
    await q.query(`CREATE INDEX "IDX_outbox_events_unpublished" ON "outbox_events" ("seq") WHERE "published_at" IS NULL`);
    await q.query(`CREATE INDEX "IDX_outbox_events_published_at" ON "outbox_events" ("published_at") WHERE "published_at" IS NOT NULL`);
    await q.query(`
      CREATE OR REPLACE FUNCTION "outbox_events_notify"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('${OUTBOX_NOTIFY_CHANNEL}', '');
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER "outbox_events_notify" AFTER INSERT ON "outbox_events" FOR EACH STATEMENT EXECUTE FUNCTION "outbox_events_notify"()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "outbox_events"`);
    await q.query(`DROP FUNCTION IF EXISTS "outbox_events_notify"()`);
  }
}

export const OUTBOX_MIGRATIONS = [CreateOutboxEvents1760000000000];
