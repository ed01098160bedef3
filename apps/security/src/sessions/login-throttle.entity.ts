import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Failed-login counter per account, keyed by the normalised email so unknown and known emails
 * behave alike (no account enumeration through lockout).
 */
@Entity({ name: 'login_throttles' })
export class LoginThrottleEntity {
  @PrimaryColumn('text') email!: string;
  @Column('int') failures!: number;
  @Column('timestamptz', { name: 'window_started_at' }) windowStartedAt!: Date;
  @Column('timestamptz', { name: 'locked_until', nullable: true }) lockedUntil!: Date | null;
}
