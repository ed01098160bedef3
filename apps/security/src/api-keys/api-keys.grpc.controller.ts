import { Controller } from '@nestjs/common';
import { clientContextFrom, principalFrom, Public, RequirePermissions } from '@aether/auth';
import type { securityV1 } from '@aether/contracts';
import type { Metadata } from '@grpc/grpc-js';
import { GrpcMethod } from '@nestjs/microservices';
import { toIso } from '@aether/service-kit';
import { toApiKeyMessage } from './api-key.mapper';
import { ApiKeysService } from './api-keys.service';

type ApiKeysRpc = Pick<
  securityV1.SecurityServiceController,
  'authenticateApiKey' | 'createApiKey' | 'listApiKeys' | 'revokeApiKey'
>;

@Controller()
export class ApiKeysGrpcController implements ApiKeysRpc {
  constructor(private readonly apiKeys: ApiKeysService) {}

  /** The gateway exchanges a presented key for a short-lived access token (the key is the credential). */
  @Public()
  @GrpcMethod('SecurityService', 'AuthenticateApiKey')
  async authenticateApiKey(req: securityV1.AuthenticateApiKeyRequest): Promise<securityV1.AuthenticateApiKeyResponse> {
    return this.apiKeys.authenticate(req.key);
  }

  @RequirePermissions('apikeys:manage')
  @GrpcMethod('SecurityService', 'CreateApiKey')
  async createApiKey(req: securityV1.CreateApiKeyRequest, metadata: Metadata): Promise<securityV1.CreatedApiKey> {
    const principal = principalFrom(metadata);
    const { apiKey, key } = await this.apiKeys.create(
      { userId: principal.userId, permissions: principal.permissions, viaApiKeyId: principal.apiKeyId },
      { name: req.name, scopes: req.scopes, expiresAt: req.expiresAt },
      clientContextFrom(metadata),
    );
    return {
      id: apiKey.id,
      name: apiKey.name,
      prefix: apiKey.prefix,
      scopes: apiKey.scopes,
      createdAt: apiKey.createdAt.toISOString(),
      expiresAt: toIso(apiKey.expiresAt),
      key,
    };
  }

  @RequirePermissions('apikeys:manage')
  @GrpcMethod('SecurityService', 'ListApiKeys')
  async listApiKeys(req: securityV1.ListApiKeysRequest, metadata: Metadata): Promise<securityV1.ListApiKeysResponse> {
    const principal = principalFrom(metadata);
    const page = await this.apiKeys.list(principal.userId, req.page);
    return { items: page.items.map(toApiKeyMessage), nextCursor: page.nextCursor };
  }

  @RequirePermissions('apikeys:manage')
  @GrpcMethod('SecurityService', 'RevokeApiKey')
  async revokeApiKey(req: securityV1.RevokeApiKeyRequest, metadata: Metadata): Promise<securityV1.RevokeApiKeyResponse> {
    const principal = principalFrom(metadata);
    await this.apiKeys.revoke(principal.userId, req.id, clientContextFrom(metadata));
    return {};
  }
}
