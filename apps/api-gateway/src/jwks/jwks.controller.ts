import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import type { Metadata } from '@grpc/grpc-js';
import { firstValueFrom } from 'rxjs';
import { securityV1 } from '@aether/contracts';
import { InjectGrpcClient } from '@aether/service-kit';
import { CallMetadata } from '../http/call-metadata';
import { ApiProblems, PublicRoute } from '../http/openapi';

/** A JWK with proto3's empty strings (fields of other key types) left out. */
export function toJwk(k: securityV1.Jwk): Record<string, string> {
  return Object.fromEntries(Object.entries(k).filter(([, v]) => typeof v === 'string' && v !== '')) as Record<string, string>;
}

/** One public key (RFC 7517); which members are present depends on `kty`. */
class JwkDto {
  @ApiProperty({ example: 'EC' }) kty!: string;
  @ApiProperty({ description: 'Matches the `kid` header of the tokens it verifies' }) kid!: string;
  @ApiPropertyOptional({ example: 'ES256' }) alg?: string;
  @ApiPropertyOptional({ example: 'sig' }) use?: string;
  @ApiPropertyOptional({ example: 'P-256', description: 'EC keys' }) crv?: string;
  @ApiPropertyOptional({ description: 'EC keys' }) x?: string;
  @ApiPropertyOptional({ description: 'EC keys' }) y?: string;
  @ApiPropertyOptional({ description: 'RSA keys' }) n?: string;
  @ApiPropertyOptional({ description: 'RSA keys' }) e?: string;
}

class JwksDto {
  @ApiProperty({ type: [JwkDto] }) keys!: JwkDto[];
}

/** The public keys that verify access tokens, for clients and third parties. */
@ApiTags('auth')
@ApiProblems()
@Controller('.well-known')
export class JwksController {
  constructor(@InjectGrpcClient('security') private readonly security: securityV1.SecurityServiceClient) {}

  @Get('jwks.json')
  @PublicRoute()
  @ApiOperation({ summary: 'Public keys that verify access tokens (JWKS)' })
  @ApiOkResponse({ type: JwksDto, description: 'JSON Web Key Set (RFC 7517)' })
  async jwks(
    @CallMetadata() md: Metadata,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ keys: Record<string, string>[] }> {
    const res = await firstValueFrom(this.security.getJwks({}, md));
    // Only a successful answer may be cached (keys rotate rarely; verifiers refetch on unknown kid).
    reply.header('Cache-Control', 'public, max-age=300');
    return { keys: (res.keys ?? []).map(toJwk) };
  }
}
