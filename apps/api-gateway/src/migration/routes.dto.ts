import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { SHADOW_MODES, SIDES, type ShadowMode, type Side } from './route';
import { MAX_IGNORE_PATHS, MAX_IGNORE_PATH_LENGTH, MAX_PREFIX_LENGTH } from './route-rules';

/** PUT body: the route's settings as a whole (omitted fields are reset to their defaults). */
export class RouteSettingsDto {
  @ApiProperty({ enum: SIDES, description: 'Who serves the route: new (the services) or legacy (the monolith)' })
  @IsIn(SIDES as unknown as string[], { message: `must be one of: ${SIDES.join(', ')}` })
  target!: Side;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: 100,
    description: 'With target legacy: the share of callers (sticky per user, else per client IP) served by new. Default 0 (legacy) or 100 (new)',
  })
  @IsOptional() @Max(100) @Min(0) @IsInt()
  rolloutPercent?: number;

  @ApiPropertyOptional({ enum: SHADOW_MODES, description: 'Side that also gets GET/HEAD requests for comparison (default off)' })
  @IsOptional() @IsIn(SHADOW_MODES as unknown as string[], { message: `must be one of: ${SHADOW_MODES.join(', ')}` })
  shadow?: ShadowMode;

  @ApiPropertyOptional({ type: [String], example: ['requestId', 'items.*.updatedAt'], description: 'Dotted JSON paths ("*" = any key or index) left out of the comparison' })
  @IsOptional() @MaxLength(MAX_IGNORE_PATH_LENGTH, { each: true }) @IsString({ each: true }) @ArrayMaxSize(MAX_IGNORE_PATHS) @IsArray()
  ignorePaths?: string[];
}

/** POST body. */
export class CreateRouteDto extends RouteSettingsDto {
  @ApiProperty({ example: '/api/v1/chat', maxLength: MAX_PREFIX_LENGTH, description: 'Path prefix, matched on segment boundaries (longest wins); "/" is the catch-all' })
  @MaxLength(MAX_PREFIX_LENGTH) @IsString()
  prefix!: string;
}

export class SideStatsDto {
  @ApiProperty() requests!: number;
  @ApiProperty({ description: 'Answers with a 5xx status' }) errors!: number;
  @ApiProperty({ type: Number, nullable: true }) p50Ms!: number | null;
  @ApiProperty({ type: Number, nullable: true }) p95Ms!: number | null;
}

export class ShadowStatsDto {
  @ApiProperty() compared!: number;
  @ApiProperty() mismatches!: number;
  @ApiProperty({ description: 'Not shadowed: SHADOW_MAX_CONCURRENCY comparisons were in flight' }) skipped!: number;
  @ApiProperty({ description: 'The shadow side failed or timed out' }) failed!: number;
}

export class RouteStatsDto {
  @ApiProperty({ description: 'The counters cover this many seconds up to now, summed over every gateway replica' }) windowSeconds!: number;
  @ApiProperty({ type: SideStatsDto }) legacy!: SideStatsDto;
  @ApiProperty({ type: SideStatsDto }) new!: SideStatsDto;
  @ApiProperty({ type: ShadowStatsDto }) shadow!: ShadowStatsDto;
}

export class RouteDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: '/api/v1/tasks' }) prefix!: string;
  @ApiProperty({ enum: SIDES }) target!: Side;
  @ApiProperty({ minimum: 0, maximum: 100 }) rolloutPercent!: number;
  @ApiProperty({ enum: SHADOW_MODES }) shadow!: ShadowMode;
  @ApiProperty({ type: [String] }) ignorePaths!: string[];
  @ApiProperty({ description: 'Grows by one with every change of this route' }) version!: number;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty({ type: String, nullable: true, description: 'User id of the administrator; null when seeded' }) updatedBy!: string | null;
  @ApiProperty({ type: RouteStatsDto }) stats!: RouteStatsDto;
}

export class RouteListDto {
  @ApiProperty({ description: 'Version of the route table this replica serves' }) version!: number;
  @ApiProperty({ type: [RouteDto] }) items!: RouteDto[];
}

export class MismatchAnswerDto {
  @ApiProperty({ enum: SIDES }) side!: Side;
  @ApiProperty() status!: number;
  @ApiProperty() contentType!: string;
  @ApiProperty({ description: 'The body (JSON redacted of credentials, text truncated), or null when too large', nullable: true, type: Object }) body!: unknown;
}

export class MismatchDto {
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty() requestId!: string;
  @ApiProperty() method!: string;
  @ApiProperty({ description: 'Path and query (credential-looking parameters redacted)' }) url!: string;
  @ApiProperty() routeVersion!: number;
  @ApiProperty({ type: [String], description: 'status, contentType, body, or the differing JSON paths' }) differences!: string[];
  @ApiProperty({ type: MismatchAnswerDto, description: 'What the client got' }) served!: MismatchAnswerDto;
  @ApiProperty({ type: MismatchAnswerDto, description: 'What the shadow side answered' }) shadow!: MismatchAnswerDto;
}

export class MismatchListDto {
  @ApiProperty({ type: [MismatchDto], description: 'Newest first; at most 20' }) items!: MismatchDto[];
  @ApiProperty({ type: [String], description: 'JSON paths this replica learned to be noise (they differ between two answers of the same side)' }) noise!: string[];
}
