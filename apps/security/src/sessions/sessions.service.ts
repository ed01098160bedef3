import { permissionsForRoles } from '@aether/auth';
import { RateLimitedError, UnauthenticatedError, ValidationError } from '@aether/service-kit';
import type { FieldViolation } from '@aether/service-kit';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { AuditLogService, AuditTypes } from '../audit/audit-log.service';
import { randomSecret, sha256Hex } from '../common/secrets';
import { Clock } from '../config/clock';
import { SecurityEnv } from '../config/security.env';
import { SecurityEventPublisher } from '../events/security-event.publisher';
import { SecurityEvents } from '../events/security-events';
import { AccessTokenIssuer } from '../keys/access-token.issuer';
import { PasswordHasher } from '../users/password-hasher.service';
import { UserEntity } from '../users/user.entity';
import { normaliseEmail } from '../users/user-input';
import { UsersService } from '../users/users.service';
import { LoginLockoutService } from './login-lockout.service';
import { RefreshTokenEntity } from './refresh-token.entity';
import { decideRefresh } from './refresh-rotation';
import type { ClientContext } from '../common/client-context';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

export interface LoginInput {
  email: string;
  password: string;
}

export type { ClientContext };

const REFRESH_TOKEN_PREFIX = 'rt_';

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
   * Repeated failures lock the account for a while (RATE_LIMITED with retryAfterSeconds).
   */
  async login(input: Partial<LoginInput>, ctx: ClientContext = {}): Promise<TokenPair> {
    const email = normaliseEmail(input.email);
    const password = input.password ?? '';
    const violations: FieldViolation[] = [];
    if (!email) violations.push({ field: 'email', message: 'is required' });
    if (!password) violations.push({ field: 'password', message: 'is required' });
    if (violations.length) throw new ValidationError('Invalid login', violations);

    const locked = await this.lockout.secondsLocked(email);
    if (locked > 0) throw lockedError(locked);

    const user = await this.users.findByEmail(email);
    const ok = user ? await this.hasher.verify(user.passwordHash, password) : await this.hasher.verifyAgainstDummy(password);
    if (!user || !ok) {
      await this.recordFailure(email, user, ctx);
      throw new UnauthenticatedError('INVALID_CREDENTIALS', 'Invalid email or password');
    }

    const familyId = randomUUID();
    const refreshToken = await this.db.transaction(async (m) => {
      await this.lockout.reset(m, email);
      const token = await this.insertRefreshToken(m, user.id, familyId, null, ctx);
      await this.audit.record(m, {
        type: AuditTypes.userLoggedIn,
        actorId: user.id,
        subjectId: user.id,
        ip: ctx.ip,
        details: { sessionId: familyId, userAgent: ctx.userAgent || undefined },
      });
      await this.events.publish(m, SecurityEvents.userLoggedIn, user.id, { userId: user.id, sessionId: familyId, ip: ctx.ip || null });
      return token;
    });
    return this.pair(user, familyId, refreshToken);
  }

  /**
   * Spends `refreshToken` and returns a new pair. A spent token presented again revokes its whole
   * family (TOKEN_REUSED). The token row is locked for the transaction, so of two concurrent
   * refreshes with one token exactly one rotates; the other sees it spent.
   */
  async refresh(refreshToken: string | undefined, ctx: ClientContext = {}): Promise<TokenPair> {
    if (!refreshToken) throw new ValidationError('Invalid refresh', [{ field: 'refreshToken', message: 'is required' }]);
    const tokenHash = sha256Hex(refreshToken);
    const outcome = await this.db.transaction(async (m) => {
      const row = await m.getRepository(RefreshTokenEntity).findOne({ where: { tokenHash }, lock: { mode: 'pessimistic_write' } });
      const decision = decideRefresh(row, this.clock.now());
      if (decision === 'invalid' || !row) return { kind: 'invalid' as const };
      if (decision === 'reused') {
        const revoked = await this.revokeFamily(m, row.familyId);
        const details = { sessionId: row.familyId, revokedTokens: revoked };
        await this.audit.record(m, { type: AuditTypes.tokenReused, subjectId: row.userId, ip: ctx.ip, userAgent: ctx.userAgent, details });
        await this.events.publish(m, SecurityEvents.tokenReused, row.userId, { userId: row.userId, ...details, ip: ctx.ip || null });
        return { kind: 'reused' as const };
      }
      const user = await m.getRepository(UserEntity).findOneBy({ id: row.userId });
      if (!user) return { kind: 'invalid' as const };
      await m.update(RefreshTokenEntity, { id: row.id }, { usedAt: this.clock.now() });
      const next = await this.insertRefreshToken(m, row.userId, row.familyId, row.id, { ip: ctx.ip, userAgent: row.userAgent ?? undefined });
      return { kind: 'rotated' as const, user, familyId: row.familyId, next };
    });
    if (outcome.kind === 'reused') {
      throw new UnauthenticatedError('TOKEN_REUSED', 'This refresh token was already used; the session has been revoked');
    }
    if (outcome.kind === 'invalid') throw new UnauthenticatedError('TOKEN_INVALID', 'The refresh token is invalid or expired');
    // Roles are re-read on every refresh, so role changes reach the next access token.
    return this.pair(outcome.user, outcome.familyId, outcome.next);
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
      const state = await this.lockout.recordFailure(m, email);
      const userId = user?.id ?? null;
      const details = { email, failures: state.failures, locked: !!state.lockedUntil, userAgent: ctx.userAgent || undefined };
      await this.audit.record(m, { type: AuditTypes.loginFailed, subjectId: userId, ip: ctx.ip, details });
      if (state.lockedNow) {
        await this.audit.record(m, {
          type: AuditTypes.loginLocked,
          subjectId: userId,
          ip: ctx.ip,
          userAgent: ctx.userAgent,
          details: { email, lockedUntil: state.lockedUntil!.toISOString() },
        });
      }
      await this.events.publish(m, SecurityEvents.loginFailed, userId, {
        userId,
        email,
        failures: state.failures,
        locked: !!state.lockedUntil,
        ip: ctx.ip || null,
      });
    });
  }

  private async insertRefreshToken(
    m: EntityManager,
    userId: string,
    familyId: string,
    parentId: string | null,
    ctx: ClientContext,
  ): Promise<string> {
    const token = REFRESH_TOKEN_PREFIX + randomSecret();
    const now = this.clock.now();
    await m.insert(RefreshTokenEntity, {
      id: randomUUID(),
      userId,
      familyId,
      parentId,
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

function lockedError(seconds: number): RateLimitedError {
  return new RateLimitedError(`Too many failed logins for this account; try again in ${seconds} s`, seconds);
}
