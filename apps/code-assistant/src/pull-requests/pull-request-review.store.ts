import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';

/** How long one run holds a delivery before another may take it over (a crashed run). */
const CLAIM_SECONDS = 600;

export interface DeliveryKey {
  connectionId: string;
  deliveryId: string;
}

export interface DeliveryStart extends DeliveryKey {
  repository: string;
  number: number;
  action: string;
}

export type DeliveryOutcome =
  | { status: 'posted'; headSha: string; reviewId: string; inlineComments: number; bodyFindings: number; detail?: string }
  | { status: 'skipped' | 'failed'; headSha?: string; detail: string };

export interface SaidFinding {
  fingerprint: string;
  path: string;
  rule: string;
  line: number;
  placement: 'inline' | 'body';
}

/** Fingerprints are per pull request; GitHub's owner/name is case-insensitive. */
const repoKey = (repository: string) => repository.toLowerCase();

/** code-assistant's PostgreSQL rows of pull-request reviews (SQL: two small tables). */
@Injectable()
export class PullRequestReviewStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Takes the delivery for this run: true for a first-seen delivery, or one whose earlier run
   * failed transiently or lapsed; false when it is done (posted/skipped/failed for good) or
   * another run holds it. The primary key on (connection, delivery) makes this race-free.
   */
  async claim(d: DeliveryStart): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `INSERT INTO pull_request_reviews (connection_id, delivery_id, repository, number, action, status, attempts, claimed_until)
       VALUES ($1, $2, $3, $4, $5, 'pending', 1, now() + make_interval(secs => $6))
       ON CONFLICT (connection_id, delivery_id) DO UPDATE
         SET attempts = pull_request_reviews.attempts + 1, claimed_until = EXCLUDED.claimed_until, updated_at = now()
         WHERE pull_request_reviews.status = 'pending'
           AND (pull_request_reviews.claimed_until IS NULL OR pull_request_reviews.claimed_until < now())
       RETURNING 1`,
      [d.connectionId, d.deliveryId, d.repository, d.number, d.action, CLAIM_SECONDS],
    );
    return rows.length > 0;
  }

  /** Gives the delivery back after a transient failure (its retry may claim it at once). */
  async release(d: DeliveryKey, detail: string): Promise<void> {
    await this.db.query(
      `UPDATE pull_request_reviews SET claimed_until = NULL, detail = $3, updated_at = now() WHERE connection_id = $1 AND delivery_id = $2 AND status = 'pending'`,
      [d.connectionId, d.deliveryId, detail.slice(0, 1000)],
    );
  }

  async finish(d: DeliveryKey, outcome: DeliveryOutcome, manager: EntityManager = this.db.manager): Promise<void> {
    const posted = outcome.status === 'posted' ? outcome : undefined;
    await manager.query(
      `UPDATE pull_request_reviews
         SET status = $3, head_sha = $4, detail = $5, github_review_id = $6, inline_comments = $7, body_findings = $8, claimed_until = NULL, updated_at = now()
       WHERE connection_id = $1 AND delivery_id = $2`,
      [d.connectionId, d.deliveryId, outcome.status, outcome.headSha ?? '', (outcome.detail ?? '').slice(0, 1000), posted?.reviewId ?? null, posted?.inlineComments ?? 0, posted?.bodyFindings ?? 0],
    );
  }

  async status(d: DeliveryKey): Promise<{ status: string; detail: string; attempts: number } | undefined> {
    const rows: { status: string; detail: string; attempts: number }[] = await this.db.query(
      `SELECT status, detail, attempts FROM pull_request_reviews WHERE connection_id = $1 AND delivery_id = $2`,
      [d.connectionId, d.deliveryId],
    );
    return rows[0];
  }

  /**
   * Runs `work` holding the pull request's lock (a transaction-scoped advisory lock), so two
   * deliveries of one pull request (opened, then a quick push) never post the same finding twice:
   * the second one sees the first one's fingerprints.
   */
  async withPullRequestLock<T>(repository: string, number: number, work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`code-assistant:pr:${repoKey(repository)}#${number}`]);
      return work(m);
    });
  }

  async fingerprints(repository: string, number: number, manager: EntityManager = this.db.manager): Promise<Set<string>> {
    const rows: { fingerprint: string }[] = await manager.query(`SELECT fingerprint FROM pull_request_fingerprints WHERE repository = $1 AND number = $2`, [repoKey(repository), number]);
    return new Set(rows.map((r) => r.fingerprint));
  }

  async recordFingerprints(manager: EntityManager, repository: string, number: number, headSha: string, reviewId: string, said: SaidFinding[]): Promise<void> {
    if (!said.length) return;
    await manager.query(
      `INSERT INTO pull_request_fingerprints (repository, number, fingerprint, path, rule, line, placement, github_review_id, head_sha)
       SELECT $1, $2, s.fingerprint, s.path, s.rule, s.line, s.placement, $3, $4
       FROM jsonb_to_recordset($5::jsonb) AS s(fingerprint text, path text, rule text, line int, placement text)
       ON CONFLICT DO NOTHING`,
      [repoKey(repository), number, reviewId, headSha, JSON.stringify(said.map((s) => ({ ...s, path: s.path.slice(0, 1024), rule: s.rule.slice(0, 200) })))],
    );
  }
}
