import { Module } from '@nestjs/common';
import { SecurityEnv } from '../config/security.env';
import { AccessTokenIssuer } from './access-token.issuer';
import { JwksHttpController } from './jwks.http.controller';
import { KeysGrpcController } from './keys.grpc.controller';
import { SigningKeys } from './signing-keys';

/** The access-token signing key, the token issuer and the public JWKS (gRPC and HTTP). */
@Module({
  controllers: [JwksHttpController, KeysGrpcController],
  providers: [
    { provide: SigningKeys, inject: [SecurityEnv], useFactory: (env: SecurityEnv) => SigningKeys.fromEnv(env) },
    AccessTokenIssuer,
  ],
  exports: [SigningKeys, AccessTokenIssuer],
})
export class KeysModule {}
