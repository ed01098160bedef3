import { MigrationInterface, QueryRunner } from 'typeorm';

/** The gateway's strangler-fig route table, its version row and its audit trail. */
export class CreateRouteTable1765200000000 implements MigrationInterface {
  name = 'CreateRouteTable1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE gateway_routes (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        prefix varchar(200) NOT NULL UNIQUE,
        target varchar(8) NOT NULL CHECK (target IN ('new', 'legacy')),
        rollout_percent integer NOT NULL CHECK (rollout_percent BETWEEN 0 AND 100),
        shadow varchar(8) NOT NULL CHECK (shadow IN ('off', 'legacy', 'new')),
        ignore_paths jsonb NOT NULL DEFAULT '[]',
        version integer NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        updated_by varchar(64) NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE TABLE gateway_route_table (id integer PRIMARY KEY CHECK (id = 1), version integer NOT NULL)`);
    await q.query(`INSERT INTO gateway_route_table (id, version) VALUES (1, 0)`);
    await q.query(`
      CREATE TABLE gateway_route_audit (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        route_id uuid NOT NULL,
        prefix varchar(200) NOT NULL,
        change varchar(16) NOT NULL,
        actor_id varchar(64) NULL,
        at timestamptz NOT NULL DEFAULT now(),
        before jsonb NULL,
        after jsonb NULL,
        table_version integer NOT NULL
      )`);
    await q.query(`CREATE INDEX gateway_route_audit_route_at_idx ON gateway_route_audit (route_id, at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE gateway_route_audit`);
    await q.query(`DROP TABLE gateway_route_table`);
    await q.query(`DROP TABLE gateway_routes`);
  }
}
