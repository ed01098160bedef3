import { AuthModule } from '@aether/auth';
import type { DynamicModule } from '@nestjs/common';
import { SecurityEnv } from '../config/security.env';
import { KeysModule } from './keys.module';
import { SigningKeys } from './signing-keys';

/**
 * @aether/auth for the security service itself: it verifies the access tokens it issued with its
 * own in-process key set (no HTTP round trip to its own JWKS endpoint).
 */
export function securityAuthModule(): DynamicModule {
  return AuthModule.forRootAsync({
    imports: [KeysModule],
    inject: [SigningKeys, SecurityEnv],
    useFactory: (keys: SigningKeys, env: SecurityEnv) => ({
      issuer: env.AUTH_ISSUER,
      audience: env.AUTH_AUDIENCE,
      localJwks: async () => keys.jwks(),
    }),
  });
}
