import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Metadata } from '@grpc/grpc-js';
import { firstValueFrom } from 'rxjs';
import { securityV1 } from '@aether/contracts';
import { InjectGrpcClient } from '@aether/service-kit';
import { RequirePermissions } from '@aether/auth';
import { CallMetadata } from '../http/call-metadata';
import { ApiAuthenticated, ApiProblems, ProblemDto } from '../http/openapi';
import { Page, PageOf, PageQueryDto, orNull, pageRequest, toPage } from '../http/pagination';
import { uuidPipe } from '../http/uuid-param';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { ApiKeyDto, CreateApiKeyDto, CreatedApiKeyDto } from './api-keys.dto';

const ApiKeyPage = PageOf(ApiKeyDto, 'ApiKeyPage');

export const toApiKey = (k: securityV1.ApiKey): ApiKeyDto => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  scopes: k.scopes ?? [],
  createdAt: k.createdAt,
  expiresAt: orNull(k.expiresAt),
  lastUsedAt: orNull(k.lastUsedAt),
});

/** The caller's own API keys. */
@ApiTags('api-keys')
@ApiAuthenticated()
@ApiProblems()
@RequirePermissions('apikeys:manage')
@Controller('api/v1/api-keys')
export class ApiKeysController {
  constructor(@InjectGrpcClient('security') private readonly security: securityV1.SecurityServiceClient) {}

  @Post()
  @Idempotent()
  @ApiOperation({ summary: 'Create an API key (its secret is shown only in this answer)' })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  async create(@Body() dto: CreateApiKeyDto, @CallMetadata() md: Metadata): Promise<CreatedApiKeyDto> {
    const k = await firstValueFrom(
      this.security.createApiKey({ name: dto.name, scopes: dto.scopes ?? [], expiresAt: dto.expiresAt ?? '' }, md),
    );
    return {
      id: k.id,
      name: k.name,
      prefix: k.prefix,
      scopes: k.scopes ?? [],
      createdAt: k.createdAt,
      expiresAt: orNull(k.expiresAt),
      key: k.key,
    };
  }

  @Get()
  @ApiOperation({ summary: "List the caller's API keys (never their secrets)" })
  @ApiOkResponse({ type: ApiKeyPage })
  async list(@Query() q: PageQueryDto, @CallMetadata() md: Metadata): Promise<Page<ApiKeyDto>> {
    return toPage(await firstValueFrom(this.security.listApiKeys({ page: pageRequest(q) }, md)), toApiKey);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an API key' })
  @ApiNoContentResponse({ description: 'Revoked; the key stops working at once' })
  @ApiNotFoundResponse({ type: ProblemDto })
  async revoke(@Param('id', uuidPipe) id: string, @CallMetadata() md: Metadata): Promise<void> {
    await firstValueFrom(this.security.revokeApiKey({ id }, md));
  }
}
