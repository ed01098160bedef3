import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Login throttling per account and client: the counters gain a scope (`account` or
 * `ip:<client>`). Existing counters were per account, so they become the `account` scope and an
 * ongoing lockout stays in force.
 */
export class LoginThrottlePerClient1764200000000 implements MigrationInterface {
  name = 'LoginThrottlePerClient1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE login_throttles ADD COLUMN scope text NOT NULL DEFAULT 'account'`);
    await q.query(`ALTER TABLE login_throttles ALTER COLUMN scope DROP DEFAULT`);
    await q.query(`ALTER TABLE login_throttles DROP CONSTRAINT login_throttles_pkey`);
    await q.query(`ALTER TABLE login_throttles ADD CONSTRAINT login_throttles_pkey PRIMARY KEY (email, scope)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM login_throttles WHERE scope <> 'account'`);
    await q.query(`ALTER TABLE login_throttles DROP CONSTRAINT login_throttles_pkey`);
    await q.query(`ALTER TABLE login_throttles DROP COLUMN scope`);
    await q.query(`ALTER TABLE login_throttles ADD CONSTRAINT login_throttles_pkey PRIMARY KEY (email)`);
  }
}
