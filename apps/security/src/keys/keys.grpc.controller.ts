import { Controller } from '@nestjs/common';
import { Public } from '@aether/auth';
import type { securityV1 } from '@aether/contracts';
import { GrpcMethod } from '@nestjs/microservices';
import { SigningKeys } from './signing-keys';

@Controller()
@Public()
export class KeysGrpcController implements Pick<securityV1.SecurityServiceController, 'getJwks'> {
  constructor(private readonly keys: SigningKeys) {}

  @GrpcMethod('SecurityService', 'GetJwks')
  getJwks(): securityV1.GetJwksResponse {
    return {
      keys: this.keys.jwks().keys.map((k) => ({ kty: k.kty, kid: k.kid, alg: k.alg, use: k.use, crv: k.crv, x: k.x, y: k.y, n: '', e: '' })),
    };
  }
}
