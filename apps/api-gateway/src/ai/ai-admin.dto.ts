import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsISO8601, IsNumber, IsOptional, Max, Min } from 'class-validator';

export class UsageQueryDto {
  @ApiPropertyOptional({ description: 'ISO-8601; default: 24 h before `to`' }) @IsOptional() @IsISO8601({ strict: true }) from?: string;
  @ApiPropertyOptional({ description: 'ISO-8601; default: now' }) @IsOptional() @IsISO8601({ strict: true }) to?: string;
}

export class ModelUsageDto {
  @ApiProperty() requests!: number;
  @ApiProperty() promptTokens!: number;
  @ApiProperty() completionTokens!: number;
  @ApiProperty() costUsd!: number;
}

export class AiUsageDto {
  @ApiProperty() from!: string;
  @ApiProperty() to!: string;
  @ApiProperty() requests!: number;
  @ApiProperty() promptTokens!: number;
  @ApiProperty() completionTokens!: number;
  @ApiProperty() costUsd!: number;
  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/ModelUsageDto' }, description: 'Keyed by the `<provider>/<model>` that served' })
  byModel!: Record<string, ModelUsageDto>;
}

export class UpdateLimitsDto {
  @ApiPropertyOptional({ minimum: 0, description: 'USD per UTC day' }) @IsOptional() @Type(() => Number) @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0) usdPerDay?: number;
  @ApiPropertyOptional({ minimum: 0 }) @IsOptional() @IsInt() @Min(0) @Max(2_000_000_000) tokensPerMinute?: number;
  @ApiPropertyOptional({ minimum: 0 }) @IsOptional() @IsInt() @Min(0) @Max(2_000_000_000) requestsPerMinute?: number;
}

export class AiLimitsDto {
  @ApiProperty({ example: 'user:0b6c1f5e-8f7a-4c53-9d0e-2a7c1a1f3e11' }) subject!: string;
  @ApiProperty({ type: Number, nullable: true, description: 'null: no limit' }) usdPerDay!: number | null;
  @ApiProperty({ type: Number, nullable: true }) tokensPerMinute!: number | null;
  @ApiProperty({ type: Number, nullable: true }) requestsPerMinute!: number | null;
  @ApiProperty({ description: 'Spent today (UTC) against usdPerDay' }) spentUsdToday!: number;
}
