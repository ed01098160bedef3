import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { AdminBootstrap } from './admin-bootstrap.service';
import { PasswordHasher } from './password-hasher.service';
import { UsersGrpcController } from './users.grpc.controller';
import { UsersService } from './users.service';

@Module({
  imports: [AuditModule],
  controllers: [UsersGrpcController],
  providers: [UsersService, PasswordHasher, AdminBootstrap],
  exports: [UsersService, PasswordHasher],
})
export class UsersModule {}
