import { isRole, ROLES, type ClientContext } from '@aether/auth';
import { UserRegisteredEvent, UserRolesChangedEvent } from '@aether/contracts';
import { ConflictError, pgPool, decodeCursor, isTimestampText, isUuid, NotFoundError, PageInput, pageLimit, pageOf, Violations } from '@aether/service-kit';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AuditLogService, AuditTypes } from '../audit/audit-log.service';
import { Clock } from '../config/clock';
import { SecurityEventPublisher } from '../events/security-event.publisher';
import { PasswordHasher } from './password-hasher.service';
import { USER_COLUMNS, UserEntity, userFromRow } from './user.entity';
import { toUserMessage } from './user.mapper';
import { normaliseEmail, RegistrationInput, validateRegistration } from './user-input';

const GET_USER_SQL = `SELECT ${USER_COLUMNS} FROM users WHERE id = $1`;

export const DEFAULT_ROLES = ['developer'];

@Injectable()
export class UsersService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditLogService,
    private readonly events: SecurityEventPublisher,
    private readonly clock: Clock,
  ) {}

  /** Self-service sign-up: role `developer`; EMAIL_TAKEN when the email exists in any letter case. */
  async register(raw: Partial<RegistrationInput>, ctx: ClientContext = {}): Promise<UserEntity> {
    const input = validateRegistration(raw);
    const user = await this.createUser(input, DEFAULT_ROLES, { ...ctx, source: 'register' });
    if (!user) throw new ConflictError('EMAIL_TAKEN', 'An account with this email already exists');
    return user;
  }

  /**
   * Creates the configured administrator unless the email exists. Safe with several replicas
   * starting at once: the insert is ON CONFLICT DO NOTHING on the email index. An existing account
   * is left untouched (never re-passworded or promoted).
   */
  async ensureAdmin(email: string, password: string, name = 'Administrator'): Promise<boolean> {
    if (await this.findByEmail(email)) return false;
    const input = validateRegistration({ email, password, name });
    return (await this.createUser(input, ['admin'], { source: 'bootstrap' })) !== null;
  }

  findByEmail(email: string): Promise<UserEntity | null> {
    return this.db
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .where('lower(u.email) = :email', { email: normaliseEmail(email) })
      .getOne();
  }

  async getById(id: string): Promise<UserEntity> {
    // Plain SQL on the pool: the repository's findOneBy (metadata walk, query builder) was a
    // quarter of this service's CPU on GET /auth/me, TypeORM's query runner more (issue 16).
    const rows = isUuid(id) ? (await pgPool(this.db).query<Record<string, unknown>>(GET_USER_SQL, [id])).rows : [];
    if (!rows.length) throw new NotFoundError('User not found');
    return userFromRow(rows[0]);
  }

  /** Oldest first, keyset-paginated on (created_at, id). */
  async list(page?: PageInput) {
    const limit = pageLimit(page);
    const after = decodeCursor(page?.cursor, 'createdAt', 2, ([t, id]) => isTimestampText(t) && isUuid(id));
    const qb = this.db
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .orderBy('u.created_at', 'ASC')
      .addOrderBy('u.id', 'ASC')
      .limit(limit + 1);
    if (after) qb.where('(u.created_at, u.id) > (:t, :id)', { t: after[0], id: after[1] });
    return pageOf(await qb.getMany(), limit, (u) => ({ s: 'createdAt', k: [u.createdAt.toISOString(), u.id] }));
  }

  /**
   * Replaces a user's roles (admin action). A user keeps at least one role (an account with none
   * could do nothing, and "no roles" is more likely a client bug than an intent), and the last
   * administrator keeps `admin` (LAST_ADMIN), so the system can always be administered.
   */
  async setRoles(actorId: string, userId: string, roles: string[], ctx: ClientContext = {}): Promise<UserEntity> {
    const v = new Violations();
    if (!Array.isArray(roles) || roles.length === 0) v.add('roles', `must name at least one role (known: ${ROLES.join(', ')})`);
    else for (const r of roles.filter((r) => !isRole(r))) v.add('roles', `unknown role "${r}" (known: ${ROLES.join(', ')})`);
    v.throwIfAny('Invalid roles');
    if (!isUuid(userId)) throw new NotFoundError('User not found');
    const next = ROLES.filter((r) => roles.includes(r));

    return this.db.transaction(async (m) => {
      const user = await m.getRepository(UserEntity).findOne({ where: { id: userId }, lock: { mode: 'pessimistic_write' } });
      if (!user) throw new NotFoundError('User not found');
      const previous = user.roles;
      if (previous.includes('admin') && !next.includes('admin')) await this.assertAnotherAdmin(m, userId);

      user.roles = next;
      user.updatedAt = this.clock.now();
      await m.update(UserEntity, { id: userId }, { roles: next, updatedAt: user.updatedAt });
      const details = { roles: next, previousRoles: previous };
      await this.audit.record(m, { type: AuditTypes.userRolesChanged, actorId, subjectId: userId, ip: ctx.ip, userAgent: ctx.userAgent, details });
      await this.events.publish(m, UserRolesChangedEvent, { ...details, changedBy: actorId }, { subject: userId });
      return user;
    });
  }

  private async assertAnotherAdmin(m: EntityManager, exceptId: string): Promise<void> {
    // Lock every admin row so two concurrent demotions cannot both pass this check.
    const admins: { id: string }[] = await m.query(`SELECT id FROM users WHERE 'admin' = ANY(roles) FOR UPDATE`);
    if (!admins.some((a) => a.id !== exceptId)) {
      throw new ConflictError('LAST_ADMIN', 'The last administrator cannot lose the admin role');
    }
  }

  /** Inserts a user with its audit entry and event in one transaction; null when the email is taken. */
  private async createUser(
    input: RegistrationInput,
    roles: string[],
    ctx: ClientContext & { source: 'register' | 'bootstrap' },
  ): Promise<UserEntity | null> {
    const passwordHash = await this.hasher.hash(input.password);
    const now = this.clock.now();
    const user: UserEntity = Object.assign(new UserEntity(), {
      id: randomUUID(),
      email: input.email,
      name: input.name,
      passwordHash,
      roles,
      createdAt: now,
      updatedAt: now,
    });
    return this.db.transaction(async (m) => {
      const res = await m.createQueryBuilder().insert().into(UserEntity).values(user).orIgnore().returning('id').execute();
      if (!(res.raw as unknown[]).length) return null;
      await this.audit.record(m, {
        type: AuditTypes.userRegistered,
        actorId: user.id,
        subjectId: user.id,
        ip: ctx.ip,
        userAgent: ctx.userAgent,
        details: { source: ctx.source, roles },
      });
      await this.events.publish(m, UserRegisteredEvent, { user: toUserMessage(user), source: ctx.source }, { subject: user.id });
      return user;
    });
  }
}
