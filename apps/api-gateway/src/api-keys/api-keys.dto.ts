import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsISO8601, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PERMISSIONS } from '@aether/auth';

export class CreateApiKeyDto {
  @ApiProperty({ example: 'ci-pipeline', maxLength: 100 })
  @MaxLength(100) @Matches(/\S/, { message: 'must not be blank' }) @IsString()
  name!: string;

  @ApiPropertyOptional({
    type: [String],
    enum: PERMISSIONS,
    description: 'Permissions the key may use (a subset of yours); all of yours when omitted',
  })
  @IsOptional()
  @IsIn(PERMISSIONS as unknown as string[], { each: true, message: 'each value must be a known permission' })
  @ArrayMaxSize(PERMISSIONS.length) @IsArray()
  scopes?: string[];

  @ApiPropertyOptional({ format: 'date-time', description: 'When the key stops working; never when omitted' })
  @IsOptional() @IsISO8601({ strict: true }, { message: 'must be an ISO-8601 date-time' })
  expiresAt?: string;
}

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'First characters of the key, to recognise it', example: 'ak_3f9a' }) prefix!: string;
  @ApiProperty({ type: [String] }) scopes!: string[];
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) expiresAt!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) lastUsedAt!: string | null;
}

export class CreatedApiKeyDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() prefix!: string;
  @ApiProperty({ type: [String] }) scopes!: string[];
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) expiresAt!: string | null;
  @ApiProperty({ description: 'The secret (ak_...). Shown only in this answer: store it now.' }) key!: string;
}
