import { Type } from 'class-transformer';
import { IsInt, IsString, Matches, Max, Min } from 'class-validator';
import type { BaseEnv } from '../config/base-env';

type EnvClass = new (...args: any[]) => BaseEnv;

/** The variables PostgresModule reads from the app's validated env. */
export interface PostgresVariables {
  DATABASE_URL: string;
  DATABASE_POOL_SIZE: number;
  DATABASE_CONNECT_TIMEOUT_MS: number;
}

/**
 * Adds the variables PostgresModule reads to a service's env class, with their validation:
 * `export class TaskManagerEnv extends PostgresEnv(MessagingEnv(BaseEnv)) { … }`.
 */
export function PostgresEnv<TBase extends EnvClass>(Base: TBase) {
  class WithPostgresEnv extends Base implements PostgresVariables {
    /** postgres://user:pass@host:5432/db; the service's migrations run against it at start-up. */
    @IsString() @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgres:// or postgresql:// URL' })
    DATABASE_URL!: string;

    /** Connections per replica, shared by requests, loops, the outbox relay and its LISTEN. */
    @Type(() => Number) @IsInt() @Min(2) @Max(500)
    DATABASE_POOL_SIZE = 10;

    /**
     * Longest wait for a connection (a new one, or a free one of a busy pool). Short, so that with
     * the database down a call fails fast (UNAVAILABLE → 503) within the callers' deadline.
     */
    @Type(() => Number) @IsInt() @Min(50) @Max(60_000)
    DATABASE_CONNECT_TIMEOUT_MS = 500;
  }
  return WithPostgresEnv;
}
