import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'users' })
export class UserEntity {
  @PrimaryColumn('uuid') id!: string;
  /** Stored normalised (trimmed, lower-case); a unique index on lower(email) guards duplicates. */
  @Column('text') email!: string;
  @Column('text') name!: string;
  @Column('text', { name: 'password_hash' }) passwordHash!: string;
  @Column('text', { array: true }) roles!: string[];
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
}

/** Columns of `users` as raw SQL selects them (the hot by-id read skips the repository). */
export const USER_COLUMNS = 'id, email, name, password_hash, roles, created_at, updated_at';

/** A raw `users` row (node-postgres types) → entity. */
export function userFromRow(row: Record<string, unknown>): UserEntity {
  return Object.assign(new UserEntity(), {
    id: row.id,
    email: row.email,
    name: row.name,
    passwordHash: row.password_hash,
    roles: row.roles,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
}
