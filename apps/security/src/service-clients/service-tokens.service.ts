import { UnauthenticatedError } from '@aether/service-kit';
import { Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { SecurityEnv } from '../config/security.env';
import { AccessTokenIssuer } from '../keys/access-token.issuer';
import { parseServiceClients, secretMatches, type ServiceClient } from './service-clients';

export interface ServiceTokenGrant {
  accessToken: string;
  expiresIn: number;
  permissions: string[];
}

// Burn the same work for an unknown client as for a known one.
const DUMMY: ServiceClient = { id: '', permissions: [], secretDigest: createHash('sha256').update('').digest() };

/** Client credentials → a short-lived service token (OAuth2 client_credentials, over gRPC). */
@Injectable()
export class ServiceTokensService {
  private readonly logger = new Logger('ServiceTokens');
  private readonly clients: Map<string, ServiceClient>;

  constructor(
    private readonly issuer: AccessTokenIssuer,
    env: SecurityEnv,
  ) {
    // SecurityEnv already validated the list; this cannot fail here.
    this.clients = parseServiceClients(env.SERVICE_CLIENT_SECRETS).clients;
  }

  /** Unknown client and wrong secret answer alike (UNAUTHENTICATED), so client ids cannot be probed. */
  async issue(clientId: string, clientSecret: string): Promise<ServiceTokenGrant> {
    const client = typeof clientId === 'string' ? this.clients.get(clientId) : undefined;
    const ok = secretMatches(client ?? DUMMY, typeof clientSecret === 'string' ? clientSecret : '') && client !== undefined;
    if (!ok || !client) {
      // The client id is caller text: log it bounded and printable only; never the secret.
      this.logger.warn({ clientId: String(clientId ?? '').replace(/[^\x20-\x7e]/g, '?').slice(0, 64) }, 'service token refused: unknown client or wrong secret');
      throw new UnauthenticatedError('INVALID_CLIENT_CREDENTIALS', 'Unknown client or wrong client secret');
    }
    const issued = await this.issuer.forService(client.id, client.permissions);
    return { accessToken: issued.token, expiresIn: issued.expiresIn, permissions: [...client.permissions] };
  }
}
