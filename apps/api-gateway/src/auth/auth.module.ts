import { Module } from '@nestjs/common';
import { AuthController } from './auth.controller';

/** /api/v1/auth/* (the security client comes from GatewayCoreModule). */
@Module({ controllers: [AuthController] })
export class AuthRoutesModule {}
