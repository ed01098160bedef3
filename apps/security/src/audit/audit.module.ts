import { Module } from '@nestjs/common';
import { AuditGrpcController } from './audit.grpc.controller';
import { AuditLogService } from './audit-log.service';

@Module({
  controllers: [AuditGrpcController],
  providers: [AuditLogService],
  exports: [AuditLogService],
})
export class AuditModule {}
