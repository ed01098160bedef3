import { Controller } from '@nestjs/common';
import { clientContextFrom, Public } from '@aether/auth';
import type { securityV1 } from '@aether/contracts';
import type { Metadata } from '@grpc/grpc-js';
import { GrpcMethod } from '@nestjs/microservices';
import { SessionsService } from './sessions.service';

type SessionsRpc = Pick<securityV1.SecurityServiceController, 'login' | 'refresh' | 'logout'>;

/** Credentials in the request body authenticate these calls; no access token is needed. */
@Controller()
@Public()
export class SessionsGrpcController implements SessionsRpc {
  constructor(private readonly sessions: SessionsService) {}

  @GrpcMethod('SecurityService', 'Login')
  login(req: securityV1.LoginRequest, metadata: Metadata): Promise<securityV1.TokenPair> {
    return this.sessions.login(req, clientContextFrom(metadata, { ip: req.clientIp, userAgent: req.userAgent }));
  }

  @GrpcMethod('SecurityService', 'Refresh')
  refresh(req: securityV1.RefreshRequest, metadata: Metadata): Promise<securityV1.TokenPair> {
    return this.sessions.refresh(req.refreshToken, clientContextFrom(metadata, { ip: req.clientIp }));
  }

  @GrpcMethod('SecurityService', 'Logout')
  async logout(req: securityV1.LogoutRequest, metadata: Metadata): Promise<securityV1.LogoutResponse> {
    await this.sessions.logout(req.refreshToken, clientContextFrom(metadata));
    return {};
  }
}
