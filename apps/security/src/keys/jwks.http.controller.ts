import { Controller, Get, Header } from '@nestjs/common';
import { SigningKeys } from './signing-keys';

/** GET /.well-known/jwks.json on the management port: what other services verify tokens with. */
@Controller('.well-known')
export class JwksHttpController {
  constructor(private readonly keys: SigningKeys) {}

  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  jwks() {
    return this.keys.jwks();
  }
}
