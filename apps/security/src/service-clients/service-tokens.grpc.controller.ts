import { Public } from '@aether/auth';
import type { securityV1 } from '@aether/contracts';
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { ServiceTokensService } from './service-tokens.service';

@Controller()
export class ServiceTokensGrpcController implements Pick<securityV1.SecurityServiceController, 'issueServiceToken'> {
  constructor(private readonly tokens: ServiceTokensService) {}

  /** The client credentials are the credential: no caller token. */
  @Public()
  @GrpcMethod('SecurityService', 'IssueServiceToken')
  async issueServiceToken(req: securityV1.IssueServiceTokenRequest): Promise<securityV1.IssueServiceTokenResponse> {
    const grant = await this.tokens.issue(req.clientId, req.clientSecret);
    return { accessToken: grant.accessToken, tokenType: 'Bearer', expiresIn: grant.expiresIn, permissions: grant.permissions };
  }
}
