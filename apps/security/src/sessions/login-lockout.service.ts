import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Clock } from '../config/clock';
import { SecurityEnv } from '../config/security.env';
import { afterFailure, LockoutPolicy, secondsLocked, ThrottleState } from './login-lockout.policy';
import { LoginThrottleEntity } from './login-throttle.entity';

/** Keeps failed-login counters in PostgreSQL, shared by every replica. */
@Injectable()
export class LoginLockoutService {
  private readonly policy: LockoutPolicy;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly clock: Clock,
    env: SecurityEnv,
  ) {
    this.policy = {
      maxFailures: env.LOGIN_MAX_FAILURES,
      windowSeconds: env.LOGIN_FAILURE_WINDOW_SECONDS,
      lockoutSeconds: env.LOGIN_LOCKOUT_SECONDS,
    };
  }

  /** Seconds the account (normalised email) stays locked; 0 when it may log in. */
  async secondsLocked(email: string): Promise<number> {
    const state = await this.db.getRepository(LoginThrottleEntity).findOneBy({ email });
    return secondsLocked(state, this.clock.now());
  }

  /** Counts one failure inside the caller's transaction; the row lock serialises concurrent failures. */
  async recordFailure(m: EntityManager, email: string): Promise<ThrottleState & { lockedNow: boolean }> {
    const now = this.clock.now();
    await m
      .createQueryBuilder()
      .insert()
      .into(LoginThrottleEntity)
      .values({ email, failures: 0, windowStartedAt: now, lockedUntil: null })
      .orIgnore()
      .execute();
    const repo = m.getRepository(LoginThrottleEntity);
    const current = await repo.findOne({ where: { email }, lock: { mode: 'pessimistic_write' } });
    const previous = current && current.failures > 0 ? current : null;
    const next = afterFailure(previous, now, this.policy);
    await repo.update({ email }, next);
    const lockedNow = !!next.lockedUntil && next.lockedUntil.getTime() !== previous?.lockedUntil?.getTime();
    return { ...next, lockedNow };
  }

  /** A successful login clears the account's failures. */
  async reset(m: EntityManager, email: string): Promise<void> {
    await m.delete(LoginThrottleEntity, { email });
  }
}
