import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { PageQueryDto } from '../http/pagination';

// docker-manager owns the rules (it answers field violations too); these DTOs check shapes so a
// malformed request never leaves the gateway, and document the API.
export const CONTAINER_STATES = ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'];
/** Largest `tail` of a JSON answer (follow and download stream, so they take any tail). */
export const MAX_JSON_LOG_LINES = 10_000;

const toList = ({ value }: { value: unknown }) => (value === undefined ? undefined : Array.isArray(value) ? value : [value]);
/** Query booleans are exactly `true` or `false`. */
const toBool = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);
/** Plain digits only (Number() would take '0x10', '1e1' or ' 5'). */
const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value);

export class ListContainersQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: CONTAINER_STATES, description: 'Only containers in this state' })
  @IsOptional() @IsIn(CONTAINER_STATES)
  status?: string;

  @ApiPropertyOptional({ type: [String], description: 'Label filter `key` or `key=value`; repeat for several (all must match)', example: ['app=web'] })
  @IsOptional() @Transform(toList) @Matches(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,252}(=[^\s,]{0,253})?$/, { each: true, message: 'each label must be key or key=value' })
  @MaxLength(507, { each: true }) @ArrayMaxSize(10) @IsArray()
  label?: string[];
}

export class StopQueryDto {
  @ApiPropertyOptional({ minimum: 0, maximum: 3600, description: 'Seconds between SIGTERM and SIGKILL; default: the container’s own stop timeout' })
  @IsOptional() @Transform(toInt) @Max(3600) @Min(0) @IsInt()
  timeout?: number;
}

export class LogsQueryDto {
  @ApiPropertyOptional({ minimum: 0, description: `Lines from the end to start with (JSON answers: at most ${MAX_JSON_LOG_LINES}, also the default)` })
  @IsOptional() @Transform(toInt) @Max(100_000) @Min(0) @IsInt()
  tail?: number;

  @ApiPropertyOptional({ description: 'Only lines written at or after this ISO-8601 time', example: '2030-01-31T17:00:00Z' })
  @IsOptional() @IsString() @MaxLength(40)
  since?: string;

  @ApiPropertyOptional({ type: Boolean, default: false, description: 'Give each line the time the engine recorded' })
  @IsOptional() @Transform(toBool) @IsBoolean()
  timestamps?: boolean;

  @ApiPropertyOptional({ type: Boolean, default: true })
  @IsOptional() @Transform(toBool) @IsBoolean()
  stdout?: boolean;

  @ApiPropertyOptional({ type: Boolean, default: true })
  @IsOptional() @Transform(toBool) @IsBoolean()
  stderr?: boolean;

  @ApiPropertyOptional({ type: Boolean, default: false, description: 'Server-sent events: `data: {"stream","time","text"}` per line, new lines as they are written, until the container stops or the client goes' })
  @IsOptional() @Transform(toBool) @IsBoolean()
  follow?: boolean;

  @ApiPropertyOptional({ type: Boolean, default: false, description: 'The log as a text/plain attachment (one line per line; the time first with timestamps=true)' })
  @IsOptional() @Transform(toBool) @IsBoolean()
  download?: boolean;
}

export class StatsQueryDto {
  @ApiPropertyOptional({ type: Boolean, default: false, description: 'Server-sent events: one sample about every second until the client goes' })
  @IsOptional() @Transform(toBool) @IsBoolean()
  stream?: boolean;
}

export class PortDto {
  @ApiProperty() privatePort!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'null when not published' }) publicPort!: number | null;
  @ApiProperty({ enum: ['tcp', 'udp', 'sctp'] }) protocol!: string;
  @ApiProperty({ type: String, nullable: true }) ip!: string | null;
}

export class MountDto {
  @ApiProperty({ example: 'volume', description: 'bind, volume, tmpfs, … (host paths are never shown)' }) type!: string;
  @ApiProperty({ type: String, nullable: true, description: 'The volume name' }) name!: string | null;
  @ApiProperty({ example: '/data' }) destination!: string;
  @ApiProperty() readOnly!: boolean;
}

export class ContainerDto {
  @ApiProperty({ description: 'The engine’s id (Docker: 64 hex digits; Kubernetes: the pod uid); a unique prefix or the name works in paths too' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() image!: string;
  @ApiProperty({ enum: CONTAINER_STATES }) state!: string;
  @ApiProperty({ example: 'Up 5 minutes' }) status!: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) labels!: Record<string, string>;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) createdAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) startedAt!: string | null;
}

export class ContainerDetailDto extends ContainerDto {
  @ApiProperty({ type: [PortDto] }) ports!: PortDto[];
  @ApiProperty({ type: [MountDto] }) mounts!: MountDto[];
  @ApiProperty() restartCount!: number;
  @ApiProperty({ type: String, nullable: true, enum: ['healthy', 'unhealthy', 'starting'], description: 'null without a health check' }) health!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finishedAt!: string | null;
  @ApiProperty({ type: Number, nullable: true, description: 'The exit code when exited' }) exitCode!: number | null;
}

export class LogLineDto {
  @ApiProperty({ enum: ['stdout', 'stderr'] }) stream!: string;
  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'With timestamps=true' }) time?: string;
  @ApiProperty() text!: string;
}

export class LogsDto {
  @ApiProperty({ type: [LogLineDto] }) lines!: LogLineDto[];
}

export class StatsDto {
  @ApiProperty({ description: 'Of one CPU: 250 = two and a half cores busy (as docker stats)' }) cpuPercent!: number;
  @ApiProperty({ description: 'In use, less the page cache' }) memoryBytes!: number;
  @ApiProperty() memoryLimitBytes!: number;
  @ApiProperty() networkRxBytes!: number;
  @ApiProperty() networkTxBytes!: number;
  @ApiProperty() pids!: number;
  @ApiProperty({ type: String, format: 'date-time' }) readAt!: string;
}
