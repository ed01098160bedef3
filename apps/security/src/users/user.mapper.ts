import type { securityV1 } from '@aether/contracts';
import type { UserEntity } from './user.entity';

export function toUserMessage(u: UserEntity): securityV1.User {
  return { id: u.id, email: u.email, name: u.name, roles: u.roles, createdAt: u.createdAt.toISOString() };
}
