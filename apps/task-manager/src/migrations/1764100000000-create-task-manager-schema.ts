import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tasks and schedules.
 *
 * Lists are keyset-paginated per visibility branch (owner, assignee, everyone for admins), so
 * every sort has a composite index whose leading column is that branch's equality column and
 * whose trailing columns are exactly the sort key + id: a page is one short index range scan
 * even at millions of rows. Generated columns keep the sort keys and the search vector in sync
 * without application code.
 */
export class CreateTaskManagerSchema1764100000000 implements MigrationInterface {
  name = 'CreateTaskManagerSchema1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE schedules (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_id uuid NOT NULL,
        name varchar(200) NOT NULL,
        cron varchar(200) NOT NULL,
        timezone varchar(64) NOT NULL,
        task_template jsonb NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        next_run_at timestamptz NULL,
        last_run_at timestamptz NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT schedules_enabled_next_run_ck CHECK (NOT enabled OR next_run_at IS NOT NULL)
      )`);
    // The scheduler's claim query: due, enabled schedules in due order.
    await q.query(`CREATE INDEX schedules_due_idx ON schedules (next_run_at) WHERE enabled`);
    await q.query(`CREATE INDEX schedules_owner_created_idx ON schedules (owner_id, created_at, id)`);
    await q.query(`CREATE INDEX schedules_created_idx ON schedules (created_at, id)`);

    await q.query(`
      CREATE TABLE tasks (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_id uuid NOT NULL,
        title varchar(200) NOT NULL,
        description text NOT NULL DEFAULT '',
        status varchar(16) NOT NULL DEFAULT 'todo'
          CHECK (status IN ('todo', 'in_progress', 'done', 'cancelled')),
        priority varchar(8) NOT NULL DEFAULT 'medium'
          CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
        priority_rank smallint GENERATED ALWAYS AS (
          CASE priority WHEN 'low' THEN 0 WHEN 'medium' THEN 1 WHEN 'high' THEN 2 ELSE 3 END
        ) STORED,
        labels text[] NOT NULL DEFAULT '{}',
        due_at timestamptz NULL,
        -- Sort key for dueAt: tasks without a due date sort after every dated task (ascending).
        due_sort timestamptz GENERATED ALWAYS AS (COALESCE(due_at, 'infinity'::timestamptz)) STORED,
        assignee_id uuid NULL,
        schedule_id uuid NULL REFERENCES schedules (id) ON DELETE SET NULL,
        -- The cron time a scheduled task was created for; unique per schedule as a last line of
        -- defence against a double run (the claim with SKIP LOCKED is the first).
        scheduled_for timestamptz NULL,
        reminded_at timestamptz NULL,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz NULL,
        search tsvector GENERATED ALWAYS AS (
          setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', description), 'B')
        ) STORED
      )`);

    // Owner branch.
    await q.query(`CREATE INDEX tasks_owner_created_idx ON tasks (owner_id, created_at, id)`);
    await q.query(`CREATE INDEX tasks_owner_due_idx ON tasks (owner_id, due_sort, created_at, id)`);
    await q.query(`CREATE INDEX tasks_owner_priority_idx ON tasks (owner_id, priority_rank, created_at, id)`);
    // Assignee branch (most tasks have no assignee: partial indexes stay small).
    await q.query(`CREATE INDEX tasks_assignee_created_idx ON tasks (assignee_id, created_at, id) WHERE assignee_id IS NOT NULL`);
    await q.query(`CREATE INDEX tasks_assignee_due_idx ON tasks (assignee_id, due_sort, created_at, id) WHERE assignee_id IS NOT NULL`);
    await q.query(
      `CREATE INDEX tasks_assignee_priority_idx ON tasks (assignee_id, priority_rank, created_at, id) WHERE assignee_id IS NOT NULL`,
    );
    // Admin (everyone's tasks).
    await q.query(`CREATE INDEX tasks_created_idx ON tasks (created_at, id)`);
    await q.query(`CREATE INDEX tasks_due_idx ON tasks (due_sort, created_at, id)`);
    await q.query(`CREATE INDEX tasks_priority_idx ON tasks (priority_rank, created_at, id)`);
    // Filters that do not follow the sort: label containment and full-text search.
    await q.query(`CREATE INDEX tasks_labels_gin ON tasks USING gin (labels)`);
    await q.query(`CREATE INDEX tasks_search_gin ON tasks USING gin (search)`);
    // Reminder scan: open, dated, not yet reminded.
    await q.query(
      `CREATE INDEX tasks_reminder_idx ON tasks (due_at)
         WHERE reminded_at IS NULL AND due_at IS NOT NULL AND status IN ('todo', 'in_progress')`,
    );
    await q.query(
      `CREATE UNIQUE INDEX tasks_schedule_run_uq ON tasks (schedule_id, scheduled_for) WHERE schedule_id IS NOT NULL AND scheduled_for IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS tasks`);
    await q.query(`DROP TABLE IF EXISTS schedules`);
  }
}
