import { effectivePermissions, isPermission, permissionsForRoles, type ClientContext } from '@aether/auth';
import { ApiKeyCreatedEvent, ApiKeyRevokedEvent } from '@aether/contracts';
import {
  decodeCursor, isTimestampText, isUuid, NotFoundError, PageInput, pageLimit, pageOf, UnauthenticatedError, ValidationError,
} from '@aether/service-kit';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, IsNull } from 'typeorm';
import { AuditLogService, AuditTypes } from '../audit/audit-log.service';
import { Clock } from '../config/clock';
import { SecurityEventPublisher } from '../events/security-event.publisher';
import { AccessTokenIssuer } from '../keys/access-token.issuer';
import { UserEntity } from '../users/user.entity';
import { ApiKeyEntity } from './api-key.entity';
import { toApiKeyMessage } from './api-key.mapper';
import { ApiKeyInput, ValidApiKeyInput, validateApiKeyInput } from './api-key-input';
import { hashApiKey, looksLikeApiKey, newApiKeySecret } from './api-key-secret';

export interface ApiKeyOwner {
  userId: string;
  /** What the owner may do now (from the caller's verified token). */
  permissions: readonly string[];
  /**
   * Set when the caller authenticated with an API key (its id): `permissions` are then that key's
   * narrowed scopes. A key made this way never outgrows its parent: no scopes means the parent's
   * scopes (not the owner's whole role), and it expires no later than the parent.
   */
  viaApiKeyId?: string;
}

export interface ApiKeyAuthentication {
  accessToken: string;
  expiresIn: number;
  userId: string;
  apiKeyId: string;
}

// last_used_at is informational: write it at most once a minute per key.
const LAST_USED_RESOLUTION_MS = 60_000;

@Injectable()
export class ApiKeysService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly issuer: AccessTokenIssuer,
    private readonly audit: AuditLogService,
    private readonly events: SecurityEventPublisher,
    private readonly clock: Clock,
  ) {}

  /** Creates a key; the returned `key` is the only time the secret exists outside its hash. */
  async create(owner: ApiKeyOwner, input: ApiKeyInput, ctx: ClientContext = {}): Promise<{ apiKey: ApiKeyEntity; key: string }> {
    const now = this.clock.now();
    const valid = validateApiKeyInput(input, owner.permissions, now);
    if (owner.viaApiKeyId) await this.narrowToParent(owner.viaApiKeyId, owner.permissions, valid);
    const secret = newApiKeySecret();
    const apiKey: ApiKeyEntity = Object.assign(new ApiKeyEntity(), {
      id: randomUUID(),
      userId: owner.userId,
      name: valid.name,
      prefix: secret.prefix,
      keyHash: secret.hash,
      scopes: valid.scopes,
      createdAt: now,
      expiresAt: valid.expiresAt,
      revokedAt: null,
      lastUsedAt: null,
    });
    await this.db.transaction(async (m) => {
      await m.insert(ApiKeyEntity, apiKey);
      const details = { apiKeyId: apiKey.id, name: apiKey.name, prefix: apiKey.prefix, scopes: apiKey.scopes, expiresAt: valid.expiresAt?.toISOString() ?? null };
      await this.audit.record(m, { type: AuditTypes.apiKeyCreated, actorId: owner.userId, subjectId: owner.userId, ip: ctx.ip, userAgent: ctx.userAgent, details });
      await this.events.publish(m, ApiKeyCreatedEvent, { apiKey: toApiKeyMessage(apiKey) }, { subject: owner.userId });
    });
    return { apiKey, key: secret.key };
  }

  /** A key-made key: "no scopes" would mean the owner's whole role, "no expiry" would outlive the parent. */
  private async narrowToParent(parentId: string, parentPerms: readonly string[], valid: ValidApiKeyInput): Promise<void> {
    if (valid.scopes.length === 0) valid.scopes = parentPerms.filter(isPermission);
    const parent = await this.db.getRepository(ApiKeyEntity).findOneBy({ id: parentId });
    const limit = parent?.expiresAt ?? null;
    if (!limit) return;
    if (!valid.expiresAt) valid.expiresAt = limit;
    else if (valid.expiresAt.getTime() > limit.getTime()) {
      throw new ValidationError('Invalid API key', [
        { field: 'expiresAt', message: `must not be later than the expiry of the API key making it (${limit.toISOString()})` },
      ]);
    }
  }

  /** The owner's keys that are not revoked, newest first. */
  async list(userId: string, page?: PageInput) {
    const limit = pageLimit(page);
    const after = decodeCursor(page?.cursor, '-createdAt', 2, ([t, id]) => isTimestampText(t) && isUuid(id));
    const qb = this.db
      .getRepository(ApiKeyEntity)
      .createQueryBuilder('k')
      .where('k.user_id = :userId AND k.revoked_at IS NULL', { userId })
      .orderBy('k.created_at', 'DESC')
      .addOrderBy('k.id', 'DESC')
      .limit(limit + 1);
    if (after) qb.andWhere('(k.created_at, k.id) < (:t, :id)', { t: after[0], id: after[1] });
    return pageOf(await qb.getMany(), limit, (k) => ({ s: '-createdAt', k: [k.createdAt.toISOString(), k.id] }));
  }

  /** Revokes one of the owner's keys; it fails authentication from the next call on. */
  async revoke(userId: string, apiKeyId: string, ctx: ClientContext = {}): Promise<void> {
    if (!isUuid(apiKeyId)) throw new NotFoundError('API key not found');
    await this.db.transaction(async (m) => {
      const res = await m.update(ApiKeyEntity, { id: apiKeyId, userId, revokedAt: IsNull() }, { revokedAt: this.clock.now() });
      if (!res.affected) throw new NotFoundError('API key not found');
      const details = { apiKeyId };
      await this.audit.record(m, { type: AuditTypes.apiKeyRevoked, actorId: userId, subjectId: userId, ip: ctx.ip, userAgent: ctx.userAgent, details });
      await this.events.publish(m, ApiKeyRevokedEvent, details, { subject: userId });
    });
  }

  /**
   * Exchanges a key for a short-lived access token of its owner, with permissions narrowed to
   * the key's scopes (and to what the owner may do now). Unknown, revoked or expired → API_KEY_INVALID.
   */
  async authenticate(key: string | undefined): Promise<ApiKeyAuthentication> {
    const invalid = () => new UnauthenticatedError('API_KEY_INVALID', 'The API key is invalid, expired or revoked');
    if (!looksLikeApiKey(key)) throw invalid();
    const now = this.clock.now();
    const apiKey = await this.db.getRepository(ApiKeyEntity).findOneBy({ keyHash: hashApiKey(key) });
    if (!apiKey || apiKey.revokedAt || (apiKey.expiresAt && apiKey.expiresAt.getTime() <= now.getTime())) throw invalid();
    const user = await this.db.getRepository(UserEntity).findOneBy({ id: apiKey.userId });
    if (!user) throw invalid();

    if (!apiKey.lastUsedAt || now.getTime() - apiKey.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
      await this.db.getRepository(ApiKeyEntity).update({ id: apiKey.id }, { lastUsedAt: now });
    }
    const perms = effectivePermissions(permissionsForRoles(user.roles), apiKey.scopes);
    const issued = await this.issuer.forApiKey({ userId: user.id, email: user.email, roles: user.roles, perms }, apiKey.id);
    return { accessToken: issued.token, expiresIn: issued.expiresIn, userId: user.id, apiKeyId: apiKey.id };
  }
}
