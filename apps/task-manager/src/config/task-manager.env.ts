import { AuthEnv } from '@aether/auth';
import { MessagingEnv } from '@aether/messaging';
import { BaseEnv, PostgresEnv } from '@aether/service-kit';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';

/**
 * Environment of the task-manager service, validated at start-up by the service kit; RABBITMQ_URL
 * (MessagingEnv), DATABASE_URL (PostgresEnv) and AUTH_JWKS_URL / AUTH_ISSUER / AUTH_AUDIENCE
 * (AuthEnv) come with the mixins.
 */
export class TaskManagerEnv extends PostgresEnv(AuthEnv(MessagingEnv(BaseEnv))) {
  GRPC_PORT = 50052;
  HTTP_PORT = 9102;


  /** Runs the schedule and reminder loops in this process (every replica may; they share work safely). */
  @IsOptional() @Transform(({ value }) => value === true || value === 'true' || value === '1') @IsBoolean()
  SCHEDULER_ENABLED = true;

  /** How often the loops look for due schedules and due-soon tasks. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(50) @Max(600_000) SCHEDULER_INTERVAL_MS = 1000;

  /** Schedules claimed per loop pass (each in its own short transaction). */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) SCHEDULER_BATCH_SIZE = 50;

  /** Shortest allowed gap between two runs of a schedule (guards against second-level cron spam). */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(86_400) SCHEDULE_MIN_INTERVAL_SECONDS = 60;

  /** A task whose dueAt is at most this far ahead gets one task-manager.task.due_soon event. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(30 * 86_400) TASK_REMINDER_WINDOW_SECONDS = 3600;

  /** Reminders marked per transaction. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(10_000) REMINDER_BATCH_SIZE = 200;
}
