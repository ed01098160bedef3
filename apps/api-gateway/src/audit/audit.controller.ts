import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import type { Metadata } from '@grpc/grpc-js';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { firstValueFrom } from 'rxjs';
import { securityV1 } from '@aether/contracts';
import { InjectGrpcClient } from '@aether/service-kit';
import { RequirePermissions } from '@aether/auth';
import { CallMetadata } from '../http/call-metadata';
import { ApiAuthenticated, ApiProblems } from '../http/openapi';
import { Page, PageOf, PageQueryDto, orNull, pageRequest, toPage } from '../http/pagination';

export class AuditQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Only events of this type', example: 'login.failed' })
  @IsOptional() @Matches(/^[a-z0-9._-]+$/i, { message: 'is not an event type' }) @MaxLength(100) @IsString()
  type?: string;
}

export class AuditEventDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'auth.login.failed' }) type!: string;
  @ApiProperty({ nullable: true, type: String, description: 'Who acted (user id)' }) actorId!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'Whom or what it concerned' }) subjectId!: string | null;
  @ApiProperty({ nullable: true, type: String }) ip!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Event-specific details (never secrets)' })
  details!: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

const AuditEventPage = PageOf(AuditEventDto, 'AuditEventPage');

function parseDetails(json: string): Record<string, unknown> {
  if (!json) return {};
  try {
    const v = JSON.parse(json) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v };
  } catch {
    return {};
  }
}

export const toAuditEvent = (e: securityV1.AuditEvent): AuditEventDto => ({
  id: e.id,
  type: e.type,
  actorId: orNull(e.actorId),
  subjectId: orNull(e.subjectId),
  ip: orNull(e.ip),
  details: parseDetails(e.detailsJson),
  createdAt: e.createdAt,
});

/** The security audit log, newest first (admin only). */
@ApiTags('audit')
@ApiAuthenticated()
@ApiProblems()
@RequirePermissions('audit:read')
@Controller('api/v1/audit-events')
export class AuditController {
  constructor(@InjectGrpcClient('security') private readonly security: securityV1.SecurityServiceClient) {}

  @Get()
  @ApiOperation({ summary: 'List security audit events, newest first (admin)' })
  @ApiOkResponse({ type: AuditEventPage })
  async list(@Query() q: AuditQueryDto, @CallMetadata() md: Metadata): Promise<Page<AuditEventDto>> {
    const res = await firstValueFrom(this.security.listAuditEvents({ page: pageRequest(q), type: q.type ?? '' }, md));
    return toPage(res, toAuditEvent);
  }
}
