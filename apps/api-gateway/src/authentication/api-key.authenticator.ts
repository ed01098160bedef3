import { Inject, Injectable } from '@nestjs/common';
import { firstValueFrom } from 'rxjs';
import { securityV1 } from '@aether/contracts';
import { InjectGrpcClient, UnauthenticatedError, readGrpcError } from '@aether/service-kit';
import { ACCESS_TOKEN_VERIFIER, type AccessTokenVerifier, type Principal } from '@aether/auth';
import { callMetadataFor, type GatewayRequest } from '../http/call-metadata';
import { isGrpcServiceError } from '../http/problem-details';

/**
 * Turns an API key into a Principal by exchanging it with security for a short-lived access
 * token (so upstream services only ever verify one kind of credential).
 *
 * Deliberately no cache: revoking a key must take effect on the very next request, on every
 * replica, and the exchange is one cheap indexed lookup in security.
 */
@Injectable()
export class ApiKeyAuthenticator {
  constructor(
    @InjectGrpcClient('security') private readonly security: securityV1.SecurityServiceClient,
    @Inject(ACCESS_TOKEN_VERIFIER) private readonly verifier: AccessTokenVerifier,
  ) {}

  async authenticate(key: string, request: GatewayRequest): Promise<Principal> {
    let exchanged: securityV1.AuthenticateApiKeyResponse;
    try {
      exchanged = await firstValueFrom(this.security.authenticateApiKey({ key }, callMetadataFor(request)));
    } catch (err) {
      if (isGrpcServiceError(err)) {
        const detail = readGrpcError(err);
        if (detail.httpStatus === 401) {
          const code = detail.code === 'UNAUTHENTICATED' ? 'API_KEY_INVALID' : detail.code;
          throw new UnauthenticatedError(code, 'The API key is not valid, expired or revoked');
        }
      }
      throw err; // 503/504 and the rest are rendered by the problem-details filter
    }
    const principal = await this.verifier.verify(exchanged.accessToken);
    if (!principal.apiKeyId && exchanged.apiKeyId) principal.apiKeyId = exchanged.apiKeyId;
    return principal;
  }
}
