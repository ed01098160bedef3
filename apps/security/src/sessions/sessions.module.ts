import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { KeysModule } from '../keys/keys.module';
import { UsersModule } from '../users/users.module';
import { LoginLockoutService } from './login-lockout.service';
import { SessionsGrpcController } from './sessions.grpc.controller';
import { SessionsService } from './sessions.service';

@Module({
  imports: [UsersModule, KeysModule, AuditModule],
  controllers: [SessionsGrpcController],
  providers: [SessionsService, LoginLockoutService],
  exports: [SessionsService],
})
export class SessionsModule {}
