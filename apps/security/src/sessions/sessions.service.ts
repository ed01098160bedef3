import { permissionsForRoles } from '@aether/auth';
import { LoginFailedEvent, TokenReusedEvent, UserLoggedInEvent } from '@aether/contracts';
import { RateLimitedError, UnauthenticatedError, ValidationError } from '@aether/service-kit';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { AuditLogService, AuditTypes } from '../audit/audit-log.service';
import { randomSecret, sha256Hex } from '../common/secrets';
import { Clock } from '../config/clock';
import { SecurityEnv } from '../config/security.env';
import { SecurityEventPublisher } from '../events/security-event.publisher';
import { AccessTokenIssuer } from '../keys/access-token.issuer';
import { PasswordHasher } from '../users/password-hasher.service';
import { UserEntity } from '../users/user.entity';
import { validateLogin, type LoginInput } from '../users/user-input';
import { UsersService } from '../users/users.service';
import { LoginLockoutService } from './login-lockout.service';
import { RefreshTokenEntity } from './refresh-token.entity';
import { decideRefresh, REFRESH_TOKEN_PREFIX, successorToken } from './refresh-rotation';
import type { ClientContext } from '@aether/auth';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

export type { LoginInput };

export type { ClientContext };

/** How far `repeat` follows a family forward to its live token (a client refreshing again within the interval). */
const REPEAT_MAX_HOPS = 10;

type RefreshOutcome =
  | { kind: 'invalid' }
  | { kind: 'reused' }
  | { kind: 'issued'; user: UserEntity; familyId: string; refreshToken: string };

/** Login, refresh-token rotation with reuse detection, and logout. */
@Injectable()
export class SessionsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly lockout: LoginLockoutService,
    private readonly issuer: AccessTokenIssuer,
    private readonly audit: AuditLogService,
    private readonly events: SecurityEventPublisher,
    private readonly clock: Clock,
    private readonly env: SecurityEnv,
  ) {}

  /**
   * Unknown email and wrong password answer alike (same error, a password hash either way).
   * Repeated failures lock the account for a while (RATE_LIMITED with retryAfterSeconds): for the
   * client that failed (account + client IP), and for every client once the account as a whole
   * failed LOGIN_ACCOUNT_MAX_FAILURES times.
   */
  async login(input: Partial<LoginInput>, ctx: ClientContext = {}): Promise<TokenPair> {
    const { email, password } = validateLogin(input);

    const locked = await this.lockout.secondsLocked(email, ctx.ip);
    if (locked > 0) throw lockedError(locked);

    const user = await this.users.findByEmail(email);
    const ok = user ? await this.hasher.verify(user.passwordHash, password) : await this.hasher.verifyAgainstDummy(password);
    if (!user || !ok) {
      await this.recordFailure(email, user, ctx);
      throw new UnauthenticatedError('INVALID_CREDENTIALS', 'Invalid email or password');
    }

    const familyId = randomUUID();
    const refreshToken = await this.db.transaction(async (m) => {
      await this.lockout.reset(m, email, ctx.ip);
      const token = await this.insertRefreshToken(m, user.id, familyId, null, ctx);
      await this.audit.record(m, {
        type: AuditTypes.userLoggedIn,
        actorId: user.id,
        subjectId: user.id,
        ip: ctx.ip,
        details: { sessionId: familyId, userAgent: ctx.userAgent || undefined },
      });
      await this.events.publish(m, UserLoggedInEvent, { sessionId: familyId, ip: ctx.ip ?? '' }, { subject: user.id });
      return token;
    });
    return this.pair(user, familyId, refreshToken);
  }

  /**
   * Spends `refreshToken` and returns a new pair. A spent token presented again revokes its whole
   * family (TOKEN_REUSED) — unless it was spent less than REFRESH_REUSE_INTERVAL_SECONDS ago:
   * then it answers with the refresh token it was rotated into (parallel refreshes from two tabs
   * must not log the user out). The token row is locked for the transaction, so of concurrent
   * refreshes with one token exactly one rotates; the others see it spent and repeat its answer.
   */
  async refresh(refreshToken: string | undefined, ctx: ClientContext = {}): Promise<TokenPair> {
    if (!refreshToken) throw new ValidationError('Invalid refresh', [{ field: 'refreshToken', message: 'is required' }]);
    const outcome = await retryOnDeadlock(() => this.db.transaction(async (m): Promise<RefreshOutcome> => {
      const row = await this.lockToken(m, { tokenHash: sha256Hex(refreshToken) });
      const decision = decideRefresh(row, this.clock.now(), this.env.REFRESH_REUSE_INTERVAL_SECONDS);
      if (decision === 'invalid' || !row) return { kind: 'invalid' };
      if (decision === 'repeat') {
        const live = await this.liveSuccessor(m, row, refreshToken);
        if (live) return this.issued(m, row, live);
        // The chain cannot be followed (a token issued before derivation, or revoked/expired
        // meanwhile): the ordinary reuse rule applies.
      }
      if (decision === 'reused' || decision === 'repeat') {
        const revoked = await this.revokeFamily(m, row.familyId);
        const details = { sessionId: row.familyId, revokedTokens: revoked };
        await this.audit.record(m, { type: AuditTypes.tokenReused, subjectId: row.userId, ip: ctx.ip, userAgent: ctx.userAgent, details });
        await this.events.publish(m, TokenReusedEvent, { ...details, ip: ctx.ip ?? '' }, { subject: row.userId });
        return { kind: 'reused' };
      }
      await m.update(RefreshTokenEntity, { id: row.id }, { usedAt: this.clock.now() });
      const next = await this.insertRefreshToken(m, row.userId, row.familyId, { id: row.id, token: refreshToken }, { ip: ctx.ip, userAgent: row.userAgent ?? undefined });
      return this.issued(m, row, next);
    }));
    if (outcome.kind === 'reused') {
      throw new UnauthenticatedError('TOKEN_REUSED', 'This refresh token was already used; the session has been revoked');
    }
    if (outcome.kind === 'invalid') throw new UnauthenticatedError('TOKEN_INVALID', 'The refresh token is invalid or expired');
    // Roles are re-read on every refresh, so role changes reach the next access token.
    return this.pair(outcome.user, outcome.familyId, outcome.refreshToken);
  }

  private lockToken(m: EntityManager, where: { tokenHash: string } | { parentId: string }): Promise<RefreshTokenEntity | null> {
    return m.getRepository(RefreshTokenEntity).findOne({ where, lock: { mode: 'pessimistic_write' } });
  }

  /** The answer for the token `row` was rotated into: the user is re-read, so a deleted one ends the session. */
  private async issued(m: EntityManager, row: RefreshTokenEntity, refreshToken: string): Promise<RefreshOutcome> {
    const user = await m.getRepository(UserEntity).findOneBy({ id: row.userId });
    return user ? { kind: 'issued', user, familyId: row.familyId, refreshToken } : { kind: 'invalid' };
  }

  /**
   * For a token spent within the reuse interval: the token it was rotated into, recomputed from
   * the presented token and checked against the stored hash. When that one was itself rotated
   * meanwhile (the other tab refreshed again), the family's current token, so the caller never
   * receives a spent token. Rows are locked parent before child, the order rotation locks them in.
   * Null when the chain cannot be followed (not derivable, revoked or expired).
   */
  private async liveSuccessor(m: EntityManager, spent: RefreshTokenEntity, spentToken: string): Promise<string | null> {
    let [parent, parentToken] = [spent, spentToken];
    for (let hop = 0; hop < REPEAT_MAX_HOPS; hop++) {
      const child = await this.lockToken(m, { parentId: parent.id });
      if (!child) return null;
      const token = successorToken(parentToken, child.id);
      if (sha256Hex(token) !== child.tokenHash) return null;
      if (child.revokedAt || child.expiresAt.getTime() <= this.clock.now().getTime()) return null;
      if (!child.usedAt) return token;
      [parent, parentToken] = [child, token];
    }
    return null;
  }

  /** Revokes the login (refresh-token family) the token belongs to. Unknown tokens are a no-op. */
  async logout(refreshToken: string | undefined, ctx: ClientContext = {}): Promise<void> {
    if (!refreshToken) throw new ValidationError('Invalid logout', [{ field: 'refreshToken', message: 'is required' }]);
    await this.db.transaction(async (m) => {
      const row = await m.getRepository(RefreshTokenEntity).findOneBy({ tokenHash: sha256Hex(refreshToken) });
      if (!row) return;
      const revoked = await this.revokeFamily(m, row.familyId);
      if (revoked > 0) {
        await this.audit.record(m, {
          type: AuditTypes.sessionLoggedOut,
          actorId: row.userId,
          subjectId: row.userId,
          ip: ctx.ip,
          userAgent: ctx.userAgent,
          details: { sessionId: row.familyId },
        });
      }
    });
  }

  private async recordFailure(email: string, user: UserEntity | null, ctx: ClientContext): Promise<void> {
    await this.db.transaction(async (m) => {
      const state = await this.lockout.recordFailure(m, email, ctx.ip);
      const userId = user?.id ?? null;
      // `failures` counts this client's failures (the limit that usually locks); the account-wide count is beside it.
      const failures = state.client.failures;
      const locked = !!state.lockedUntil;
      const details = { email, failures, accountFailures: state.account.failures, locked, userAgent: ctx.userAgent || undefined };
      await this.audit.record(m, { type: AuditTypes.loginFailed, subjectId: userId, ip: ctx.ip, details });
      if (state.lockedNow && state.lockedUntil) {
        await this.audit.record(m, {
          type: AuditTypes.loginLocked,
          subjectId: userId,
          ip: ctx.ip,
          userAgent: ctx.userAgent,
          details: { email, lockedUntil: state.lockedUntil.toISOString(), wholeAccount: !!state.account.lockedUntil },
        });
      }
      await this.events.publish(m, LoginFailedEvent, { email, failures, locked, ip: ctx.ip ?? '' }, { subject: userId });
    });
  }

  private async insertRefreshToken(
    m: EntityManager,
    userId: string,
    familyId: string,
    parent: { id: string; token: string } | null,
    ctx: ClientContext,
  ): Promise<string> {
    const id = randomUUID();
    // A login's token is random; a rotation's is derived from its parent, so a repeat can answer it again.
    const token = parent ? successorToken(parent.token, id) : REFRESH_TOKEN_PREFIX + randomSecret();
    const now = this.clock.now();
    await m.insert(RefreshTokenEntity, {
      id,
      userId,
      familyId,
      parentId: parent?.id ?? null,
      tokenHash: sha256Hex(token),
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.env.REFRESH_TOKEN_TTL_SECONDS * 1000),
      usedAt: null,
      revokedAt: null,
      clientIp: ctx.ip || null,
      userAgent: ctx.userAgent || null,
    });
    return token;
  }

  /** Revokes every live token of a family; returns how many were still live. */
  private async revokeFamily(m: EntityManager, familyId: string): Promise<number> {
    const res = await m.update(RefreshTokenEntity, { familyId, revokedAt: IsNull() }, { revokedAt: this.clock.now() });
    return res.affected ?? 0;
  }

  private async pair(user: UserEntity, familyId: string, refreshToken: string): Promise<TokenPair> {
    const access = await this.issuer.forSession(
      { userId: user.id, email: user.email, roles: user.roles, perms: permissionsForRoles(user.roles) },
      familyId,
    );
    return { accessToken: access.token, refreshToken, tokenType: 'Bearer', expiresIn: access.expiresIn };
  }
}

const DEADLOCK_DETECTED = '40P01';
const DEADLOCK_RETRIES = 2;

/**
 * Runs `work` again when PostgreSQL aborted it as a deadlock victim. A repeat locks a family's
 * rows parent to child while a reuse revokes them all; in a rare race the two can cross, and
 * the client should get an answer, not a 500 — the retry re-reads the state the winner left.
 */
async function retryOnDeadlock<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      const code = (err as { driverError?: { code?: string } }).driverError?.code;
      if (code !== DEADLOCK_DETECTED || attempt >= DEADLOCK_RETRIES) throw err;
    }
  }
}

function lockedError(seconds: number): RateLimitedError {
  return new RateLimitedError(`Too many failed logins for this account; try again in ${seconds} s`, seconds);
}
