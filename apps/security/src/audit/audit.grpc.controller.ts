import { Controller } from '@nestjs/common';
import { RequirePermissions } from '@aether/auth';
import type { securityV1 } from '@aether/contracts';
import { GrpcMethod } from '@nestjs/microservices';
import { AuditEventEntity } from './audit-event.entity';
import { AuditLogService } from './audit-log.service';

@Controller()
export class AuditGrpcController implements Pick<securityV1.SecurityServiceController, 'listAuditEvents'> {
  constructor(private readonly audit: AuditLogService) {}

  @RequirePermissions('audit:read')
  @GrpcMethod('SecurityService', 'ListAuditEvents')
  async listAuditEvents(req: securityV1.ListAuditEventsRequest): Promise<securityV1.ListAuditEventsResponse> {
    const page = await this.audit.list({ page: req.page, type: req.type || undefined });
    return { items: page.items.map(toAuditMessage), nextCursor: page.nextCursor };
  }
}

function toAuditMessage(e: AuditEventEntity): securityV1.AuditEvent {
  return {
    id: e.id,
    type: e.type,
    actorId: e.actorId ?? '',
    subjectId: e.subjectId ?? '',
    ip: e.ip ?? '',
    detailsJson: JSON.stringify(e.details ?? {}),
    createdAt: e.createdAt.toISOString(),
  };
}
