import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { KeysModule } from '../keys/keys.module';
import { ApiKeysGrpcController } from './api-keys.grpc.controller';
import { ApiKeysService } from './api-keys.service';

@Module({
  imports: [KeysModule, AuditModule],
  controllers: [ApiKeysGrpcController],
  providers: [ApiKeysService],
  exports: [ApiKeysService],
})
export class ApiKeysModule {}
