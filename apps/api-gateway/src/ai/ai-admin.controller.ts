import { Body, Controller, Get, Param, Put, Query } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Metadata } from '@grpc/grpc-js';
import { firstValueFrom } from 'rxjs';
import type { aiGatewayV1 } from '@aether/contracts';
import { RequirePermissions } from '@aether/auth';
import { InjectGrpcClient } from '@aether/service-kit';
import { CallMetadata } from '../http/call-metadata';
import { ApiAuthenticated, ApiProblems } from '../http/openapi';
import { AiLimitsDto, AiUsageDto, ModelUsageDto, UpdateLimitsDto, UsageQueryDto } from './ai-admin.dto';

const n = (v: string | number | undefined) => Number(v ?? 0);

const toLimits = (l: aiGatewayV1.Limits): AiLimitsDto => ({
  subject: l.subject,
  usdPerDay: l.usdPerDay ?? null,
  tokensPerMinute: l.tokensPerMinute ?? null,
  requestsPerMinute: l.requestsPerMinute ?? null,
  spentUsdToday: l.spentUsdToday,
});

/** The caller's AI usage, and (admin) the budgets and rate limits of users and API keys. */
@ApiTags('ai')
@ApiAuthenticated()
@ApiProblems()
@ApiExtraModels(ModelUsageDto)
@Controller('api/v1/ai')
export class AiAdminController {
  constructor(@InjectGrpcClient('ai-gateway') private readonly ai: aiGatewayV1.AiGatewayServiceClient) {}

  @Get('usage')
  @RequirePermissions('ai:use')
  @ApiOperation({ summary: "The caller's AI requests, tokens and cost over a time range, in total and per model" })
  @ApiOkResponse({ type: AiUsageDto })
  async usage(@Query() q: UsageQueryDto, @CallMetadata() md: Metadata): Promise<AiUsageDto> {
    const r = await firstValueFrom(this.ai.getUsage({ from: q.from ?? '', to: q.to ?? '' }, md));
    return {
      from: r.from,
      to: r.to,
      requests: n(r.requests),
      promptTokens: n(r.promptTokens),
      completionTokens: n(r.completionTokens),
      costUsd: r.costUsd,
      byModel: Object.fromEntries(
        Object.entries(r.byModel ?? {}).map(([k, m]) => [k, { requests: n(m.requests), promptTokens: n(m.promptTokens), completionTokens: n(m.completionTokens), costUsd: m.costUsd }]),
      ),
    };
  }

  @Get('limits/:subject')
  @RequirePermissions('users:manage')
  @ApiOperation({ summary: 'The AI budget and rate limits in force for a user or an API key (admin)' })
  @ApiParam({ name: 'subject', example: 'user:0b6c1f5e-8f7a-4c53-9d0e-2a7c1a1f3e11', description: 'user:<id> or key:<id>' })
  @ApiOkResponse({ type: AiLimitsDto })
  async limits(@Param('subject') subject: string, @CallMetadata() md: Metadata): Promise<AiLimitsDto> {
    return toLimits(await firstValueFrom(this.ai.getLimits({ subject }, md)));
  }

  @Put('limits/:subject')
  @RequirePermissions('users:manage')
  @ApiOperation({ summary: 'Override the AI budget and rate limits of a user or an API key (admin)' })
  @ApiParam({ name: 'subject', example: 'key:0b6c1f5e-8f7a-4c53-9d0e-2a7c1a1f3e11', description: 'user:<id> or key:<id>' })
  @ApiOkResponse({ type: AiLimitsDto })
  async setLimits(@Param('subject') subject: string, @Body() body: UpdateLimitsDto, @CallMetadata() md: Metadata): Promise<AiLimitsDto> {
    return toLimits(
      await firstValueFrom(
        this.ai.updateLimits({ subject, usdPerDay: body.usdPerDay, tokensPerMinute: body.tokensPerMinute, requestsPerMinute: body.requestsPerMinute }, md),
      ),
    );
  }
}
