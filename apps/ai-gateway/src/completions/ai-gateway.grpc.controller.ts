import { randomUUID } from 'node:crypto';
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type { Metadata, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import { Observable } from 'rxjs';
import type { aiGatewayV1 } from '@aether/contracts';
import { principalFrom, REQUEST_ID_METADATA, RequirePermissions } from '@aether/auth';
import { parseIsoTimestamp } from '@aether/service-kit';
import { AiGatewayEnv } from '../config/ai-gateway.env';
import { EmbeddingsService } from '../embeddings/embeddings.service';
import { LimitPolicy } from '../limits/limit-policy';
import { ModelsService } from '../models/models.service';
import { invalidRequest } from '../routing/errors';
import { UsageRecorder } from '../usage/usage-recorder';
import { type CallContext, CompletionsService } from './completions.service';

const SERVICE = 'AiGatewayService';
/** Request metadata the gateway sets from `x-aether-cache: bypass` / `Cache-Control: no-cache`. */
export const CACHE_METADATA = 'x-aether-cache';
const MAX_USAGE_RANGE_MS = 93 * 86_400_000;

function contextOf(md: Metadata, signal: AbortSignal): CallContext {
  const requestId = String(md.get(REQUEST_ID_METADATA)[0] ?? '') || randomUUID();
  return { principal: principalFrom(md), requestId, cacheMode: String(md.get(CACHE_METADATA)[0] ?? '') === 'bypass' ? 'bypass' : 'use', signal };
}

/** An AbortSignal that fires when the caller cancels the call (or its deadline passes). */
function cancellationOf(call: { on(event: 'cancelled', cb: () => void): unknown } | undefined): AbortController {
  const controller = new AbortController();
  call?.on('cancelled', () => controller.abort());
  return controller;
}

/** gRPC transport of ai-gateway: caller from the verified token, the rest in the domain services. */
@Controller()
export class AiGatewayGrpcController {
  constructor(
    private readonly completions: CompletionsService,
    private readonly embeddings: EmbeddingsService,
    private readonly models: ModelsService,
    private readonly policy: LimitPolicy,
    private readonly recorder: UsageRecorder,
    private readonly env: AiGatewayEnv,
  ) {}

  @GrpcMethod(SERVICE, 'ChatCompletion')
  @RequirePermissions('ai:use')
  chatCompletion(req: aiGatewayV1.ChatCompletionRequest, md: Metadata, call?: ServerUnaryCall<unknown, unknown>): Promise<aiGatewayV1.ChatCompletionResponse> {
    return this.completions.complete(req, contextOf(md, cancellationOf(call).signal));
  }

  /**
   * Chunks as the provider produces them, each written at once; a keep-alive chunk whenever
   * the provider has been silent for AI_KEEPALIVE_INTERVAL_MS. The client cancelling the call
   * aborts the provider request.
   */
  @GrpcMethod(SERVICE, 'StreamChatCompletion')
  @RequirePermissions('ai:use')
  streamChatCompletion(req: aiGatewayV1.ChatCompletionRequest, md: Metadata, call?: ServerWritableStream<unknown, unknown>): Observable<aiGatewayV1.ChatCompletionChunk> {
    return new Observable<aiGatewayV1.ChatCompletionChunk>((subscriber) => {
      const controller = cancellationOf(call);
      const chunks = this.completions.stream(req, contextOf(md, controller.signal));
      const keepAlive = setInterval(() => subscriber.next(keepAliveChunk()), this.env.AI_KEEPALIVE_INTERVAL_MS);
      void (async () => {
        try {
          for await (const chunk of chunks) {
            keepAlive.refresh();
            subscriber.next(chunk);
          }
          subscriber.complete();
        } catch (err) {
          subscriber.error(err);
        } finally {
          clearInterval(keepAlive);
        }
      })();
      return () => {
        clearInterval(keepAlive);
        controller.abort();
      };
    });
  }

  @GrpcMethod(SERVICE, 'CreateEmbeddings')
  @RequirePermissions('ai:use')
  createEmbeddings(req: aiGatewayV1.CreateEmbeddingsRequest, md: Metadata, call?: ServerUnaryCall<unknown, unknown>): Promise<aiGatewayV1.CreateEmbeddingsResponse> {
    return this.embeddings.create(req, contextOf(md, cancellationOf(call).signal));
  }

  @GrpcMethod(SERVICE, 'ListModels')
  @RequirePermissions('ai:use')
  listModels(): Promise<aiGatewayV1.ListModelsResponse> {
    return this.models.list();
  }

  @GrpcMethod(SERVICE, 'GetUsage')
  @RequirePermissions('ai:use')
  getUsage(req: aiGatewayV1.GetUsageRequest, md: Metadata): Promise<aiGatewayV1.GetUsageResponse> {
    const principal = principalFrom(md);
    const toMs = req.to ? parseIsoTimestamp(req.to) : Date.now();
    if (typeof toMs !== 'number') throw invalidRequest('to must be an ISO-8601 timestamp', 'to');
    const fromMs = req.from ? parseIsoTimestamp(req.from) : toMs - 86_400_000;
    if (typeof fromMs !== 'number') throw invalidRequest('from must be an ISO-8601 timestamp', 'from');
    const [from, to] = [new Date(fromMs), new Date(toMs)];
    if (from.getTime() > to.getTime()) throw invalidRequest('from must not be after to', 'from');
    if (to.getTime() - from.getTime() > MAX_USAGE_RANGE_MS) throw invalidRequest('the range may span at most 93 days', 'from');
    return this.recorder.usage(principal.userId, from, to);
  }

  @GrpcMethod(SERVICE, 'GetLimits')
  @RequirePermissions('users:manage')
  getLimits(req: aiGatewayV1.GetLimitsRequest): Promise<aiGatewayV1.Limits> {
    return this.policy.limitsOf(this.policy.parseSubject(req.subject));
  }

  @GrpcMethod(SERVICE, 'UpdateLimits')
  @RequirePermissions('users:manage')
  updateLimits(req: aiGatewayV1.UpdateLimitsRequest): Promise<aiGatewayV1.Limits> {
    return this.policy.update(req);
  }
}

function keepAliveChunk(): aiGatewayV1.ChatCompletionChunk {
  return { id: '', model: '', createdAt: '', role: '', content: '', toolCalls: [], finishReason: '', usage: undefined, keepAlive: true, cache: '', rateLimit: undefined };
}
