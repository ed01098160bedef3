import { applyDecorators, Body, Controller, Get, HttpCode, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiBody, ApiExtraModels, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, type ApiResponseOptions, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { CallOptions, Metadata } from '@grpc/grpc-js';
import type { FastifyReply } from 'fastify';
import { firstValueFrom, type Observable } from 'rxjs';
import type { aiGatewayV1 } from '@aether/contracts';
import { RequirePermissions } from '@aether/auth';
import { InjectGrpcClient, NotFoundError } from '@aether/service-kit';
import { GatewayEnv } from '../config/gateway.env';
import { callMetadataFor, type GatewayRequest } from '../http/call-metadata';
import { ApiAuthenticated, ProblemDto } from '../http/openapi';
import { relayChatStream } from './chat-stream';
import { OpenAiErrorFilter, toOpenAiError } from './openai-errors';
import { ChatCompletionDto, ChatCompletionRequestDto, EmbeddingsDto, EmbeddingsRequestDto, ModelDto, ModelListDto, OpenAiErrorDto } from './openai.dto';
import { aiHeaders, toChatCompletion, toChatRequest, toEmbeddingsRequest, toEmbeddingsResponse } from './openai-mapping';

/** The generated client's methods also take grpc-js CallOptions (Nest passes them through). */
type WithOptions<Req, Res> = (request: Req, metadata: Metadata, options: CallOptions) => Observable<Res>;

/**
 * The single answer of a unary call, cancelled (which cancels the provider request) as soon as
 * the client goes away; the caller then has nobody to answer.
 */
function untilClientLeaves<T>(source: Observable<T>, reply: FastifyReply): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onClose = () => {
      if (!reply.raw.writableFinished) {
        subscription.unsubscribe();
        reject(new ClientGoneError());
      }
    };
    const subscription = source.subscribe({
      next: (v) => {
        reply.raw.off('close', onClose);
        resolve(v);
      },
      error: (e: unknown) => {
        reply.raw.off('close', onClose);
        reject(e);
      },
    });
    reply.raw.once('close', onClose);
  });
}

class ClientGoneError extends Error {
  constructor() {
    super('the client closed the connection');
  }
}

/** Request metadata naming the cache mode (`x-aether-cache: bypass` or `Cache-Control: no-cache`). */
function aiMetadata(req: GatewayRequest): Metadata {
  const md = callMetadataFor(req);
  const header = String(req.headers['x-aether-cache'] ?? '').toLowerCase();
  const cacheControl = String(req.headers['cache-control'] ?? '').toLowerCase();
  if (header === 'bypass' || /\bno-cache\b|\bno-store\b/.test(cacheControl)) md.set('x-aether-cache', 'bypass');
  return md;
}

const OPENAI_ERROR_CONTENT = { 'application/json': { schema: { $ref: getSchemaPath(OpenAiErrorDto) } } };
const PROBLEM_CONTENT = { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDto) } } };

/** The errors of a /v1 route: OpenAI's shape, except the edge's own body checks (problem+json). */
const OpenAiErrors = (opts: { body?: boolean; id?: boolean } = {}) => {
  const responses: ApiResponseOptions[] = [
    { status: 400, description: 'invalid_request_error: a bad body or parameter (`param` names it); context_length_exceeded', content: OPENAI_ERROR_CONTENT },
    { status: 401, description: 'invalid_api_key: missing or invalid credentials', content: OPENAI_ERROR_CONTENT },
    { status: 403, description: 'Authenticated but not allowed (permission ai:use)', content: OPENAI_ERROR_CONTENT },
    {
      status: 429,
      description: 'budget_exceeded (type insufficient_quota, x-should-retry: false) or rate_limit_exceeded (retry-after, retry-after-ms)',
      content: OPENAI_ERROR_CONTENT,
      headers: {
        'Retry-After': { description: 'Seconds to wait (rate_limit_exceeded)', schema: { type: 'integer', minimum: 0 } },
        'retry-after-ms': { description: 'Milliseconds to wait (rate_limit_exceeded)', schema: { type: 'integer', minimum: 0 } },
        'x-should-retry': { description: '"false" on budget_exceeded: retrying cannot help until the budget resets', schema: { type: 'string' } },
      },
    },
    { status: 503, description: 'upstream_unavailable: every provider of the model failed', content: OPENAI_ERROR_CONTENT },
    { status: 504, description: 'upstream_unavailable: every provider of the model timed out', content: OPENAI_ERROR_CONTENT },
  ];
  if (opts.body !== false) responses.push({ status: 404, description: 'model_not_found', content: OPENAI_ERROR_CONTENT });
  else if (opts.id) responses.push({ status: 404, description: 'model_not_found', content: OPENAI_ERROR_CONTENT });
  if (opts.body !== false) {
    responses.push(
      { status: 413, description: 'PAYLOAD_TOO_LARGE: the body is over the size limit (checked at the edge: problem+json)', content: PROBLEM_CONTENT },
      { status: 415, description: 'UNSUPPORTED_MEDIA_TYPE: send application/json (checked at the edge: problem+json)', content: PROBLEM_CONTENT },
    );
  }
  return applyDecorators(ApiExtraModels(OpenAiErrorDto, ProblemDto), ...responses.map((r) => ApiResponse(r)));
};

/**
 * OpenAI-compatible API at /v1: the official SDKs work with baseURL `<gateway>/v1` and an Aether
 * API key (`Authorization: Bearer ak_...`) or access token. Errors use OpenAI's shape.
 */
@ApiTags('ai')
@ApiAuthenticated()
@UseFilters(OpenAiErrorFilter)
@Controller('v1')
export class OpenAiController {
  private readonly created = Math.floor(Date.now() / 1000);

  constructor(
    @InjectGrpcClient('ai-gateway') private readonly ai: aiGatewayV1.AiGatewayServiceClient,
    private readonly env: GatewayEnv,
  ) {}

  @Post('chat/completions')
  @HttpCode(200)
  @RequirePermissions('ai:use')
  @ApiOperation({ summary: 'Create a chat completion (OpenAI-compatible; stream: true answers server-sent events)' })
  @ApiBody({ type: ChatCompletionRequestDto })
  @ApiExtraModels(ChatCompletionDto)
  @ApiOkResponse({
    description: 'A chat.completion, or (stream: true) text/event-stream chat.completion.chunk events ending with data: [DONE]',
    content: { 'application/json': { schema: { $ref: getSchemaPath(ChatCompletionDto) } }, 'text/event-stream': { schema: { type: 'string' } } },
  })
  @OpenAiErrors()
  async chatCompletions(@Body() body: unknown, @Req() req: GatewayRequest, @Res() reply: FastifyReply): Promise<void> {
    const { request, stream, includeUsage } = toChatRequest(body);
    const md = aiMetadata(req);
    if (!stream) {
      const call = this.ai.chatCompletion as unknown as WithOptions<aiGatewayV1.ChatCompletionRequest, aiGatewayV1.ChatCompletionResponse>;
      let res: aiGatewayV1.ChatCompletionResponse;
      try {
        res = await untilClientLeaves(call.call(this.ai, request, md, { deadline: Date.now() + this.env.AI_COMPLETION_DEADLINE_MS }), reply);
      } catch (err) {
        if (err instanceof ClientGoneError) return;
        throw err;
      }
      reply.headers(aiHeaders(res.model, res.cache, res.rateLimit)).type('application/json').send(toChatCompletion(res));
      return;
    }
    // A stream has no total deadline (answers may take minutes); the relay's idle timeout
    // (AI_STREAM_IDLE_TIMEOUT_MS, kept alive by ai-gateway's keep-alives) bounds silence instead.
    const call = this.ai.streamChatCompletion as unknown as WithOptions<aiGatewayV1.ChatCompletionRequest, aiGatewayV1.ChatCompletionChunk>;
    const source = call.call(this.ai, request, md, { deadline: Infinity });
    reply.hijack();
    const requestId = String(req.id);
    const relay = relayChatStream(source, reply.raw, { includeUsage, requestId, idleTimeoutMs: this.env.AI_STREAM_IDLE_TIMEOUT_MS });
    try {
      await relay.started;
    } catch (err) {
      const rendered = toOpenAiError(err, requestId);
      if (!reply.raw.headersSent && !reply.raw.writableEnded) {
        reply.raw.writeHead(rendered.status, { 'content-type': 'application/json; charset=utf-8', 'x-request-id': requestId, ...rendered.headers });
        reply.raw.end(JSON.stringify(rendered.body));
      }
      return;
    }
    await relay.done;
  }

  @Post('embeddings')
  @HttpCode(200)
  @RequirePermissions('ai:use')
  @ApiOperation({ summary: 'Create embeddings (OpenAI-compatible; float or base64 little-endian float32)' })
  @ApiBody({ type: EmbeddingsRequestDto })
  @ApiOkResponse({ type: EmbeddingsDto })
  @OpenAiErrors()
  async embeddings(@Body() body: unknown, @Req() req: GatewayRequest, @Res() reply: FastifyReply): Promise<void> {
    const { request, base64 } = toEmbeddingsRequest(body);
    const call = this.ai.createEmbeddings as unknown as WithOptions<aiGatewayV1.CreateEmbeddingsRequest, aiGatewayV1.CreateEmbeddingsResponse>;
    const res = await firstValueFrom(call.call(this.ai, request, aiMetadata(req), { deadline: Date.now() + this.env.AI_COMPLETION_DEADLINE_MS }));
    reply.headers(aiHeaders(res.model, '', res.rateLimit)).type('application/json').send(toEmbeddingsResponse(res, base64));
  }

  private async modelList(req: GatewayRequest): Promise<ModelDto[]> {
    const res = await firstValueFrom(this.ai.listModels({}, callMetadataFor(req)));
    return res.items.map((m) => ({ id: m.id, object: 'model', created: this.created, owned_by: m.alias ? 'aether' : m.provider }));
  }

  @Get('models')
  @RequirePermissions('ai:use')
  @ApiOperation({ summary: 'List the aliases and configured models (OpenAI-compatible)' })
  @ApiOkResponse({ type: ModelListDto })
  @OpenAiErrors({ body: false })
  async models(@Req() req: GatewayRequest): Promise<ModelListDto> {
    return { object: 'list', data: await this.modelList(req) };
  }

  @Get('models/:id')
  @RequirePermissions('ai:use')
  @ApiOperation({ summary: 'Get one model or alias (OpenAI-compatible; a `/` in the id may be sent as %2F)' })
  @ApiParam({ name: 'id', example: 'openai%2Fgpt-4o-mini' })
  @ApiOkResponse({ type: ModelDto })
  @OpenAiErrors({ body: false, id: true })
  async model(@Param('id') id: string, @Req() req: GatewayRequest): Promise<ModelDto> {
    return this.findModel(id, req);
  }

  @Get('models/:provider/:model')
  @RequirePermissions('ai:use')
  @ApiOperation({ summary: 'Get one provider model by `<provider>/<model>` (OpenAI-compatible)' })
  @ApiOkResponse({ type: ModelDto })
  @OpenAiErrors({ body: false, id: true })
  async providerModel(@Param('provider') provider: string, @Param('model') model: string, @Req() req: GatewayRequest): Promise<ModelDto> {
    return this.findModel(`${provider}/${model}`, req);
  }

  private async findModel(id: string, req: GatewayRequest): Promise<ModelDto> {
    const found = (await this.modelList(req)).find((m) => m.id === id);
    if (!found) throw new NotFoundError(`The model '${id}' does not exist`, 'model_not_found');
    return found;
  }
}
