import { Controller, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiPayloadTooLargeResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Metadata } from '@grpc/grpc-js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { firstValueFrom } from 'rxjs';
import type { integrationHubV1 } from '@aether/contracts';
import { InjectGrpcClient } from '@aether/service-kit';
import { CallMetadata } from '../http/call-metadata';
import { ApiProblems, ProblemDto, PublicRoute } from '../http/openapi';
import { uuidPipe } from '../http/uuid-param';
import { RateLimit } from '../rate-limit/rate-limit.decorator';
import { WebhookAnswerDto } from './integrations.dto';
import { originalContentType } from './webhook-body';

/** Headers the hub needs (signatures, timestamps, event and delivery ids); nothing else crosses. */
const FORWARDED_HEADERS = [
  'x-hub-signature-256',
  'x-github-event',
  'x-github-delivery',
  'x-github-hook-id',
  'x-slack-signature',
  'x-slack-request-timestamp',
  'x-slack-retry-num',
  'x-slack-retry-reason',
  'x-signature-ed25519',
  'x-signature-timestamp',
];

const RAW_BODY = { description: 'The provider\'s body, verified on its raw bytes', schema: { type: 'object', additionalProperties: true } };

/**
 * Inbound webhooks: no JWT — the provider's signature over the raw body (checked by
 * integration-hub) is the authentication. The body arrives as bytes (webhook-body.ts).
 */
@ApiTags('webhooks')
@ApiProblems()
@RateLimit('webhook')
@Controller('api/v1/webhooks')
export class WebhooksController {
  constructor(@InjectGrpcClient('integration-hub') private readonly hub: integrationHubV1.IntegrationHubServiceClient) {}

  @Post('github/:connectionId')
  @HttpCode(200)
  @PublicRoute()
  @ApiOperation({ summary: 'GitHub webhook (X-Hub-Signature-256)' })
  @ApiParam({ name: 'connectionId', format: 'uuid' })
  @ApiHeader({ name: 'X-Hub-Signature-256', required: true })
  @ApiHeader({ name: 'X-GitHub-Event', required: true })
  @ApiHeader({ name: 'X-GitHub-Delivery', required: true })
  @ApiBody(RAW_BODY)
  @ApiOkResponse({ type: WebhookAnswerDto })
  @ApiUnauthorizedResponse({ type: ProblemDto, description: 'INVALID_SIGNATURE' })
  @ApiPayloadTooLargeResponse({ type: ProblemDto })
  github(@Param('connectionId', uuidPipe) id: string, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @CallMetadata() md: Metadata) {
    return this.ingest('github', id, req, reply, md);
  }

  @Post('slack/:connectionId')
  @HttpCode(200)
  @PublicRoute()
  @ApiOperation({ summary: 'Slack Events API (v0 signature, 5-minute window; url_verification answered)' })
  @ApiParam({ name: 'connectionId', format: 'uuid' })
  @ApiHeader({ name: 'X-Slack-Signature', required: true })
  @ApiHeader({ name: 'X-Slack-Request-Timestamp', required: true })
  @ApiBody(RAW_BODY)
  @ApiOkResponse({ description: 'The url_verification challenge, or the outcome', type: WebhookAnswerDto })
  @ApiUnauthorizedResponse({ type: ProblemDto, description: 'INVALID_SIGNATURE (also a timestamp outside the window)' })
  @ApiPayloadTooLargeResponse({ type: ProblemDto })
  slack(@Param('connectionId', uuidPipe) id: string, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @CallMetadata() md: Metadata) {
    return this.ingest('slack', id, req, reply, md);
  }

  @Post('discord/:connectionId')
  @HttpCode(200)
  @PublicRoute()
  @ApiOperation({ summary: 'Discord interactions (Ed25519; PING answered {"type":1})' })
  @ApiParam({ name: 'connectionId', format: 'uuid' })
  @ApiHeader({ name: 'X-Signature-Ed25519', required: true })
  @ApiHeader({ name: 'X-Signature-Timestamp', required: true })
  @ApiBody(RAW_BODY)
  @ApiOkResponse({ description: 'The interaction response Discord expects ({"type":1} for PING, a deferred response otherwise)' })
  @ApiUnauthorizedResponse({ type: ProblemDto, description: 'INVALID_SIGNATURE' })
  @ApiPayloadTooLargeResponse({ type: ProblemDto })
  discord(@Param('connectionId', uuidPipe) id: string, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @CallMetadata() md: Metadata) {
    return this.ingest('discord', id, req, reply, md);
  }

  private async ingest(provider: string, connectionId: string, req: FastifyRequest, reply: FastifyReply, md: Metadata): Promise<unknown> {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const headers: Record<string, string> = { 'content-type': originalContentType(req) };
    for (const name of FORWARDED_HEADERS) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value.slice(0, 512);
    }
    const res = await firstValueFrom(this.hub.ingestWebhook({ provider, connectionId, body, headers, receivedAt: new Date().toISOString() }, md));
    if (res.replyJson) {
      reply.header('content-type', 'application/json; charset=utf-8');
      return JSON.parse(res.replyJson) as unknown;
    }
    return { accepted: res.accepted, duplicate: res.duplicate, eventType: res.eventType || null } satisfies WebhookAnswerDto;
  }
}
