import { decodeCursor, PageInput, pageLimit, pageOf } from '@aether/service-kit';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { Clock } from '../config/clock';
import { AuditEventEntity } from './audit-event.entity';

/** Audit log entry types (what admins filter on in ListAuditEvents). */
export const AuditTypes = {
  userRegistered: 'user.registered',
  userLoggedIn: 'user.logged_in',
  loginFailed: 'login.failed',
  loginLocked: 'login.locked',
  tokenReused: 'token.reused',
  sessionLoggedOut: 'session.logged_out',
  apiKeyCreated: 'apikey.created',
  apiKeyRevoked: 'apikey.revoked',
  userRolesChanged: 'user.roles_changed',
} as const;
export type AuditType = (typeof AuditTypes)[keyof typeof AuditTypes];

export interface AuditEntry {
  type: AuditType;
  actorId?: string | null;
  subjectId?: string | null;
  ip?: string | null;
  /** The client's user agent; kept in `details.userAgent` (unless details already say it). */
  userAgent?: string | null;
  details?: Record<string, unknown>;
}

/** The list's cursor holds the last entry's seq (a bigint, as text). */
const isSeqKey = ([seq]: string[]) => /^\d{1,19}$/.test(seq);

function withUserAgent(entry: AuditEntry): Record<string, unknown> {
  const details = { ...(entry.details ?? {}) };
  if (entry.userAgent && details.userAgent === undefined) details.userAgent = entry.userAgent;
  return details;
}

@Injectable()
export class AuditLogService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly clock: Clock,
  ) {}

  /** Appends an entry inside the caller's transaction (it commits or rolls back with the change). */
  async record(manager: EntityManager, entry: AuditEntry): Promise<void> {
    await manager.insert(AuditEventEntity, {
      id: randomUUID(),
      type: entry.type,
      actorId: entry.actorId ?? null,
      subjectId: entry.subjectId ?? null,
      ip: entry.ip || null,
      // Drop undefined values so the stored JSON only holds what was said.
      details: JSON.parse(JSON.stringify(withUserAgent(entry))),
      createdAt: this.clock.now(),
    });
  }

  /** Newest first; `type` filters on one entry type. */
  async list(opts: { page?: PageInput; type?: string }) {
    const limit = pageLimit(opts.page);
    const after = decodeCursor(opts.page?.cursor, '-seq', 1, isSeqKey);
    const qb = this.db.getRepository(AuditEventEntity).createQueryBuilder('a').orderBy('a.seq', 'DESC').limit(limit + 1);
    if (opts.type) qb.andWhere('a.type = :type', { type: opts.type });
    if (after) qb.andWhere('a.seq < :seq', { seq: after[0] });
    return pageOf(await qb.getMany(), limit, (last) => ({ s: '-seq', k: [String(last.seq)] }));
  }
}
