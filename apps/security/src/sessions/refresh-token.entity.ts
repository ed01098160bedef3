import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One opaque refresh token (only its SHA-256 is stored). Tokens of one login form a family:
 * each refresh spends a token (`used_at`) and adds its child; presenting a spent token again
 * revokes the whole family.
 */
@Entity({ name: 'refresh_tokens' })
export class RefreshTokenEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'user_id' }) userId!: string;
  @Column('uuid', { name: 'family_id' }) familyId!: string;
  @Column('uuid', { name: 'parent_id', nullable: true }) parentId!: string | null;
  @Column('text', { name: 'token_hash' }) tokenHash!: string;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'expires_at' }) expiresAt!: Date;
  @Column('timestamptz', { name: 'used_at', nullable: true }) usedAt!: Date | null;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt!: Date | null;
  @Column('text', { name: 'client_ip', nullable: true }) clientIp!: string | null;
  @Column('text', { name: 'user_agent', nullable: true }) userAgent!: string | null;
}
