import type { securityV1 } from '@aether/contracts';
import type { MeDto, TokenPairDto, UserDto } from './auth.dto';

export const toUser = (u: securityV1.User): UserDto => ({
  id: u.id,
  email: u.email,
  name: u.name,
  roles: u.roles ?? [],
  createdAt: u.createdAt,
});

export const toTokenPair = (t: securityV1.TokenPair): TokenPairDto => ({
  accessToken: t.accessToken,
  refreshToken: t.refreshToken,
  tokenType: t.tokenType || 'Bearer',
  expiresIn: t.expiresIn,
});

export const toMe = (m: securityV1.Me): MeDto => ({
  id: m.id,
  email: m.email,
  name: m.name,
  roles: m.roles ?? [],
  permissions: m.permissions ?? [],
});
