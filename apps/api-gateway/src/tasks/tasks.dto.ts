import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
} from 'class-validator';
import { PageQueryDto } from '../http/pagination';
import { IfPresent } from '../http/validation';

// The service owns the rules (it answers field violations too); the DTOs check types and
// shapes so a malformed request never leaves the gateway, and document the API.
export const TASK_STATUSES = ['todo', 'in_progress', 'done', 'cancelled'];
export const TASK_PRIORITIES = ['low', 'medium', 'high', 'urgent'];
export const TASK_SORTS = ['createdAt', '-createdAt', 'dueAt', '-dueAt', 'priority', '-priority'];
const ISO_HINT = 'ISO-8601 date-time with a zone, e.g. 2030-01-31T17:00:00Z';

// Text is stored exactly as sent. The gRPC contract cannot tell "" from "not sent", so an empty
// string where the REST contract means "none" by null (or by leaving the field out) is refused
// here instead of silently becoming null.
const NO_DESCRIPTION = 'must not be empty: send null (or leave it out) for no description';
const NO_DUE_DATE = `must be an ${ISO_HINT}; null (or leaving it out) means no due date`;


export class CreateTaskDto {
  @ApiProperty({ minLength: 1, maxLength: 200, example: 'Write the release notes' })
  @MaxLength(200) @Matches(/\S/, { message: 'must not be empty' }) @IsString()
  title!: string;

  @ApiPropertyOptional({ minLength: 1, maxLength: 10000, nullable: true, type: String, description: 'Stored as sent; null or absent: none' })
  @IsOptional() @MaxLength(10000) @IsNotEmpty({ message: NO_DESCRIPTION }) @IsString()
  description?: string | null;

  @ApiPropertyOptional({ enum: TASK_PRIORITIES, default: 'medium' })
  @IsOptional() @IsIn(TASK_PRIORITIES)
  priority?: string;

  @ApiPropertyOptional({ type: [String], maxItems: 20, example: ['release', 'docs'] })
  @IsOptional() @MaxLength(50, { each: true }) @IsString({ each: true }) @ArrayMaxSize(20) @IsArray()
  labels?: string[];

  @ApiPropertyOptional({ format: 'date-time', nullable: true, type: String, description: ISO_HINT })
  @IsOptional() @MaxLength(40) @IsNotEmpty({ message: NO_DUE_DATE }) @IsString()
  dueAt?: string | null;

  @ApiPropertyOptional({ format: 'uuid', nullable: true, type: String })
  @IsOptional() @IsUUID('all', { message: 'must be a UUID' })
  assigneeId?: string | null;
}

/**
 * PATCH: any subset; `null` clears description, dueAt and assigneeId. A PATCH that changes
 * nothing (`{}`, or the values the task has) answers the task unchanged: same version, same ETag.
 */
export class UpdateTaskDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 200 })
  @IfPresent() @MaxLength(200) @Matches(/\S/, { message: 'must not be empty' }) @IsString()
  title?: string;

  @ApiPropertyOptional({ minLength: 1, maxLength: 10000, nullable: true, type: String, description: 'null removes it' })
  @IsOptional() @MaxLength(10000) @IsNotEmpty({ message: NO_DESCRIPTION }) @IsString()
  description?: string | null;

  @ApiPropertyOptional({ enum: TASK_STATUSES, description: 'Moving to done sets completedAt; moving away clears it' })
  @IfPresent() @IsIn(TASK_STATUSES)
  status?: string;

  @ApiPropertyOptional({ enum: TASK_PRIORITIES })
  @IfPresent() @IsIn(TASK_PRIORITIES)
  priority?: string;

  @ApiPropertyOptional({ type: [String], maxItems: 20, description: 'Replaces the labels; [] removes all' })
  @IfPresent() @MaxLength(50, { each: true }) @IsString({ each: true }) @ArrayMaxSize(20) @IsArray()
  labels?: string[];

  @ApiPropertyOptional({ format: 'date-time', nullable: true, type: String, description: `${ISO_HINT}; null removes it` })
  @IsOptional() @MaxLength(40) @IsNotEmpty({ message: NO_DUE_DATE }) @IsString()
  dueAt?: string | null;

  @ApiPropertyOptional({ format: 'uuid', nullable: true, type: String, description: 'null unassigns' })
  @IsOptional() @IsUUID('all', { message: 'must be a UUID' })
  assigneeId?: string | null;
}

/** `?status=todo,in_progress` and `?status=todo&status=in_progress` are the same list. */
const toList = ({ value }: { value: unknown }) =>
  value === undefined
    ? undefined
    : (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(',')).map((v) => v.trim()).filter((v) => v !== '');

export class ListTasksQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: `Any of (comma-separated): ${TASK_STATUSES.join(', ')}`, example: 'todo,in_progress' })
  @IsOptional() @Transform(toList) @IsIn(TASK_STATUSES, { each: true }) @ArrayMaxSize(4) @IsArray()
  status?: string[];

  @ApiPropertyOptional({ description: `Any of (comma-separated): ${TASK_PRIORITIES.join(', ')}`, example: 'high,urgent' })
  @IsOptional() @Transform(toList) @IsIn(TASK_PRIORITIES, { each: true }) @ArrayMaxSize(4) @IsArray()
  priority?: string[];

  @ApiPropertyOptional({ description: 'Tasks carrying this label (repeat or comma-separate: tasks carrying all of them)' })
  @IsOptional() @Transform(toList) @MaxLength(50, { each: true }) @ArrayMaxSize(20) @IsArray()
  label?: string[];

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional() @IsUUID('all', { message: 'must be a UUID' })
  assigneeId?: string;

  @ApiPropertyOptional({ description: 'Full-text search in title and description: words, "a phrase", -excluded, or', maxLength: 200 })
  @IsOptional() @MaxLength(200) @IsString()
  q?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'dueAt before this time' })
  @IsOptional() @MaxLength(40) @IsString()
  dueBefore?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'dueAt at or after this time' })
  @IsOptional() @MaxLength(40) @IsString()
  dueAfter?: string;

  @ApiPropertyOptional({ enum: TASK_SORTS, default: '-createdAt', description: 'Tasks without dueAt sort last (dueAt) / first (-dueAt)' })
  @IsOptional() @IsIn(TASK_SORTS)
  sort?: string;
}

export class TaskDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() title!: string;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ enum: TASK_STATUSES }) status!: string;
  @ApiProperty({ enum: TASK_PRIORITIES }) priority!: string;
  @ApiProperty({ type: [String] }) labels!: string[];
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) dueAt!: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) assigneeId!: string | null;
  @ApiProperty({ format: 'uuid' }) ownerId!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) completedAt!: string | null;
  @ApiProperty({ description: '1 on create, +1 on every change (a PATCH that changes nothing keeps it); also the ETag' }) version!: number;
}
