import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsDefined,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { CreateTaskDto, TASK_PRIORITIES } from '../tasks/tasks.dto';
import { IfPresent } from '../http/validation';


/** The task a schedule creates each time it fires: a task's create fields, without a due date. */
export class TaskTemplateDto extends OmitType(CreateTaskDto, ['dueAt'] as const) {}

const CRON_HINT = 'Cron expression: 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first; @daily etc.';

export class CreateScheduleDto {
  @ApiProperty({ maxLength: 200, example: 'Monday report' })
  @MaxLength(200) @Matches(/\S/, { message: 'must not be empty' }) @IsString()
  name!: string;

  @ApiProperty({ description: CRON_HINT, example: '0 9 * * MON' })
  @MaxLength(200) @IsString()
  cron!: string;

  @ApiPropertyOptional({ description: 'IANA time zone the cron expression is read in; absent: UTC', default: 'UTC', example: 'Europe/Berlin' })
  @IsOptional() @MaxLength(64) @IsNotEmpty({ message: 'must be an IANA time zone, e.g. Europe/Berlin (leave it out for UTC)' }) @IsString()
  timezone?: string;

  @ApiProperty({ type: TaskTemplateDto })
  @ValidateNested() @Type(() => TaskTemplateDto) @IsObject() @IsDefined()
  task!: TaskTemplateDto;
}

export class UpdateScheduleDto {
  @ApiPropertyOptional({ description: 'false pauses the schedule; true resumes it from now (missed runs are not made up)' })
  @IfPresent() @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ maxLength: 200 })
  @IfPresent() @MaxLength(200) @Matches(/\S/, { message: 'must not be empty' }) @IsString()
  name?: string;

  @ApiPropertyOptional({ description: CRON_HINT })
  @IfPresent() @MaxLength(200) @IsString()
  cron?: string;

  @ApiPropertyOptional({ description: 'IANA time zone' })
  @IfPresent() @MaxLength(64) @IsString()
  timezone?: string;
}

export class TaskTemplateViewDto {
  @ApiProperty() title!: string;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ enum: TASK_PRIORITIES }) priority!: string;
  @ApiProperty({ type: [String] }) labels!: string[];
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) assigneeId!: string | null;
}

export class ScheduleDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() cron!: string;
  @ApiProperty({ example: 'UTC' }) timezone!: string;
  @ApiProperty({ type: TaskTemplateViewDto }) task!: TaskTemplateViewDto;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'null while disabled' }) nextRunAt!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) lastRunAt!: string | null;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ format: 'uuid' }) ownerId!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}
