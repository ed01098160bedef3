import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { PageQueryDto } from '../http/pagination';

const EVENT_TYPE = /^[a-z0-9][a-z0-9._-]*$/;

/** `from`/`to` of every analytics route (default: the last 24 h; checked again by the service). */
export class RangeQueryDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'Start (inclusive); default `to` − 24 h' })
  @IsOptional() @IsISO8601({ strict: true }, { message: 'must be an ISO-8601 timestamp' })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'End (exclusive); default now' })
  @IsOptional() @IsISO8601({ strict: true }, { message: 'must be an ISO-8601 timestamp' })
  to?: string;
}

export class SummaryQueryDto extends RangeQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Admins only: whose figures (default: everyone). Others may pass only their own id.' })
  // User ids are UUIDs: anything else is a client mistake that would otherwise answer all zeros.
  @IsOptional() @IsUUID('all', { message: 'must be a user id (UUID)' })
  userId?: string;
}

export const INTERVALS = ['minute', 'hour', 'day'] as const;
export type IntervalName = (typeof INTERVALS)[number];

export class TimeseriesQueryDto extends SummaryQueryDto {
  @ApiProperty({ description: 'Event type (routing key)', example: 'task-manager.task.created' })
  @IsString() @MaxLength(200) @Matches(EVENT_TYPE, { message: 'is not an event type' })
  type!: string;

  @ApiProperty({ enum: INTERVALS })
  @IsIn(INTERVALS, { message: 'must be one of minute, hour, day' })
  interval!: IntervalName;
}

export class EventsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Only events of this type', example: 'ai-gateway.completion.completed' })
  @IsOptional() @IsString() @MaxLength(200) @Matches(EVENT_TYPE, { message: 'is not an event type' })
  type?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Start (inclusive); default `to` − 24 h' })
  @IsOptional() @IsISO8601({ strict: true }, { message: 'must be an ISO-8601 timestamp' })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'End (exclusive); default now' })
  @IsOptional() @IsISO8601({ strict: true }, { message: 'must be an ISO-8601 timestamp' })
  to?: string;
}

export class TaskFiguresDto {
  @ApiProperty() created!: number;
  @ApiProperty() completed!: number;
  @ApiProperty({ description: 'Tasks due in the range (already past) that were not done, cancelled or deleted by their due time' })
  overdue!: number;
}

export class AiFiguresDto {
  @ApiProperty() requests!: number;
  @ApiProperty() promptTokens!: number;
  @ApiProperty() completionTokens!: number;
  @ApiProperty() costUsd!: number;
}

export class SummaryDto {
  @ApiProperty({ format: 'date-time' }) from!: string;
  @ApiProperty({ format: 'date-time' }) to!: string;
  @ApiProperty({ example: { events: 42 } }) totals!: { events: number };
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, example: { 'task-manager.task.created': 3 } })
  byType!: Record<string, number>;
  @ApiProperty({ type: TaskFiguresDto }) tasks!: TaskFiguresDto;
  @ApiProperty({ type: AiFiguresDto }) ai!: AiFiguresDto;
}

export class TimeseriesPointDto {
  @ApiProperty({ format: 'date-time', description: 'Bucket start (UTC)' }) t!: string;
  @ApiProperty() count!: number;
}

export class TimeseriesDto {
  @ApiProperty() type!: string;
  @ApiProperty({ enum: INTERVALS }) interval!: IntervalName;
  @ApiProperty({ type: [TimeseriesPointDto] }) points!: TimeseriesPointDto[];
}

export class StoredEventDto {
  @ApiProperty() id!: string;
  @ApiProperty() type!: string;
  @ApiProperty() source!: string;
  @ApiProperty({ nullable: true, type: String }) subject!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'The user the event is attributed to' }) userId!: string | null;
  @ApiProperty({ format: 'date-time' }) time!: string;
  @ApiProperty({ nullable: true, description: 'The CloudEvents data' }) data!: unknown;
}
