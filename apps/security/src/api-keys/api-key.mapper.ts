import type { securityV1 } from '@aether/contracts';
import { toIso } from '@aether/service-kit';
import type { ApiKeyEntity } from './api-key.entity';

export function toApiKeyMessage(k: ApiKeyEntity): securityV1.ApiKey {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    scopes: k.scopes,
    createdAt: k.createdAt.toISOString(),
    expiresAt: toIso(k.expiresAt),
    lastUsedAt: toIso(k.lastUsedAt),
  };
}
