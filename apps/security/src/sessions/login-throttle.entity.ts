import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Failed-login counters, keyed by the normalised email so unknown and known emails behave alike
 * (no account enumeration through lockout), and by scope: `account` (every client of the
 * account) or `ip:<client>` (one client of it, see clientScope).
 */
@Entity({ name: 'login_throttles' })
export class LoginThrottleEntity {
  @PrimaryColumn('text') email!: string;
  @PrimaryColumn('text') scope!: string;
  @Column('int') failures!: number;
  @Column('timestamptz', { name: 'window_started_at' }) windowStartedAt!: Date;
  @Column('timestamptz', { name: 'locked_until', nullable: true }) lockedUntil!: Date | null;
}
