import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { Clock } from '../config/clock';
import { SecurityEnv } from '../config/security.env';
import { ACCOUNT_SCOPE, afterFailure, clientScope, LockoutPolicy, secondsLocked, ThrottleState } from './login-lockout.policy';
import { LoginThrottleEntity } from './login-throttle.entity';

export interface FailureOutcome {
  /** The counter of this account and client. */
  client: ThrottleState;
  /** The counter of this account over all clients. */
  account: ThrottleState;
  /** True when this failure started a lock (of either counter). */
  lockedNow: boolean;
  /** The end of the lock now in force for this client, if any. */
  lockedUntil: Date | null;
}

/** Keeps failed-login counters (per account + client, per account) in PostgreSQL, shared by every replica. */
@Injectable()
export class LoginLockoutService {
  private readonly clientPolicy: LockoutPolicy;
  private readonly accountPolicy: LockoutPolicy;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly clock: Clock,
    env: SecurityEnv,
  ) {
    const timing = { windowSeconds: env.LOGIN_FAILURE_WINDOW_SECONDS, lockoutSeconds: env.LOGIN_LOCKOUT_SECONDS };
    this.clientPolicy = { ...timing, maxFailures: env.LOGIN_MAX_FAILURES };
    this.accountPolicy = { ...timing, maxFailures: env.LOGIN_ACCOUNT_MAX_FAILURES };
  }

  /** Seconds the account (normalised email) stays locked for this client; 0 when it may log in. */
  async secondsLocked(email: string, ip: string | undefined): Promise<number> {
    const rows = await this.db.getRepository(LoginThrottleEntity).findBy({ email, scope: In([ACCOUNT_SCOPE, clientScope(ip)]) });
    const now = this.clock.now();
    return Math.max(0, ...rows.map((r) => secondsLocked(r, now)));
  }

  /** Counts one failure on both counters inside the caller's transaction; row locks serialise concurrent failures. */
  async recordFailure(m: EntityManager, email: string, ip: string | undefined): Promise<FailureOutcome> {
    const now = this.clock.now();
    const client = clientScope(ip);
    const scopes = [ACCOUNT_SCOPE, client];
    await m
      .createQueryBuilder()
      .insert()
      .into(LoginThrottleEntity)
      .values(scopes.map((scope) => ({ email, scope, failures: 0, windowStartedAt: now, lockedUntil: null })))
      .orIgnore()
      .execute();
    // Both rows in one statement, in one order: two failures for one account never deadlock.
    const rows = await m
      .getRepository(LoginThrottleEntity)
      .createQueryBuilder('t')
      .where('t.email = :email AND t.scope IN (:...scopes)', { email, scopes })
      .orderBy('t.scope')
      .setLock('pessimistic_write')
      .getMany();
    const next = new Map<string, ThrottleState>();
    let lockedNow = false;
    for (const row of rows) {
      const previous = row.failures > 0 ? row : null;
      const state = afterFailure(previous, now, row.scope === ACCOUNT_SCOPE ? this.accountPolicy : this.clientPolicy);
      await m.update(LoginThrottleEntity, { email, scope: row.scope }, state);
      lockedNow ||= !!state.lockedUntil && state.lockedUntil.getTime() !== previous?.lockedUntil?.getTime();
      next.set(row.scope, state);
    }
    const [clientState, accountState] = [next.get(client)!, next.get(ACCOUNT_SCOPE)!];
    const locks = [clientState, accountState].filter((s) => secondsLocked(s, now) > 0).map((s) => s.lockedUntil!.getTime());
    return { client: clientState, account: accountState, lockedNow, lockedUntil: locks.length ? new Date(Math.max(...locks)) : null };
  }

  /**
   * A successful login clears this client's failures. The account-wide count is left to expire
   * with its window: otherwise each login of the owner would hand a distributed guesser a fresh budget.
   */
  async reset(m: EntityManager, email: string, ip: string | undefined): Promise<void> {
    await m.delete(LoginThrottleEntity, { email, scope: clientScope(ip) });
  }
}
