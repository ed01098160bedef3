import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { aiGatewayV1, aiGatewayV1Events } from '@aether/contracts';
import type { Principal } from '@aether/auth';
import { DomainError } from '@aether/service-kit';
import { type CachedCompletion, cacheFingerprint, replayDeltas, ResponseCache } from '../cache/response-cache';
import { GATEWAY_CONFIG } from '../config/tokens';
import type { GatewayConfig } from '../config/gateway-config';
import { splitModel } from '../config/gateway-config';
import { Budgets, emptyState, type LimitSubject, type Reservation } from '../limits/budgets';
import { LimitPolicy } from '../limits/limit-policy';
import type { StreamDelta, TokenUsage } from '../providers/provider';
import { CancelledError, StreamBrokenError } from '../routing/errors';
import { ModelRouter, type Resolution } from '../routing/router';
import { costOf, DEFAULT_MAX_OUTPUT_TOKENS, worstCaseCost } from '../usage/pricing';
import { countPromptTokens, countTextTokens, estimatePromptTokens } from '../usage/token-count';
import { UsageRecorder } from '../usage/usage-recorder';
import { validateChatRequest } from './request-validation';

export type CacheMode = 'use' | 'bypass';

/** Who asks and how: from the verified token and the call's metadata. */
export interface CallContext {
  principal: Principal;
  requestId: string;
  cacheMode: CacheMode;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
}

/** The bookkeeping of one request, ending in exactly one completion event. */
class CompletionLedger {
  readonly startedAt = Date.now();
  firstTokenAt = 0;
  deployment = '';
  fallbacks = 0;
  cache: 'hit' | 'miss' | 'bypass' = 'miss';
  usage: TokenUsage = { promptTokens: 0, completionTokens: 0 };
  reservation?: Reservation;
  private done = false;

  constructor(
    readonly request: aiGatewayV1.ChatCompletionRequest,
    readonly ctx: CallContext,
    readonly resolution: Resolution | undefined,
    readonly stream: boolean,
  ) {}

  /** True the first time only: whatever path ends a request, it is recorded once. */
  claimEnd(): boolean {
    if (this.done) return false;
    this.done = true;
    return true;
  }
}

const errorCodeOf = (err: unknown): string => {
  if (err instanceof DomainError) return err.code === 'context_length_exceeded' ? 'invalid_request_error' : err.code;
  return 'upstream_unavailable';
};

/**
 * One chat completion, plain or streamed: validation, alias resolution, cache, budget
 * reservation, routing (retries, fallbacks, breakers), settlement, cache fill and the usage event.
 */
@Injectable()
export class CompletionsService {
  private readonly logger = new Logger('Completions');

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly router: ModelRouter,
    private readonly cacheStore: ResponseCache,
    private readonly budgets: Budgets,
    private readonly policy: LimitPolicy,
    private readonly recorder: UsageRecorder,
  ) {}

  private begin(request: aiGatewayV1.ChatCompletionRequest, ctx: CallContext, stream: boolean): CompletionLedger {
    let resolution: Resolution | undefined;
    try {
      validateChatRequest(request);
      resolution = this.router.resolve(request.model);
    } catch (err) {
      const ledger = new CompletionLedger(request, ctx, undefined, stream);
      this.finish(ledger, 'error', err);
      throw err;
    }
    return new CompletionLedger(request, ctx, resolution, stream);
  }

  /** Reserves the worst case (or, for a cache hit, just the request) against every limit. */
  private async reserve(ledger: CompletionLedger, subjects: LimitSubject[], free: boolean): Promise<aiGatewayV1.RateLimitState> {
    if (subjects.length === 0) return emptyState();
    const r = ledger.request;
    const maxTokens = r.maxTokens ?? DEFAULT_MAX_OUTPUT_TOKENS;
    const prompt = estimatePromptTokens(r);
    const amount = free
      ? { costUsd: 0, tokens: 0 }
      : { costUsd: worstCaseCost(this.config, this.router.deploymentsOf(ledger.resolution!), prompt, maxTokens), tokens: prompt + maxTokens };
    const outcome = await this.policy.reserve(subjects, amount);
    if (!outcome.ok) throw this.policy.refusal(outcome);
    ledger.reservation = outcome.reservation;
    return outcome.rateLimit;
  }

  async complete(request: aiGatewayV1.ChatCompletionRequest, ctx: CallContext): Promise<aiGatewayV1.ChatCompletionResponse> {
    const ledger = this.begin(request, ctx, false);
    try {
      const subjects = this.policy.subjectsOf(ctx.principal);
      const fingerprint = cacheFingerprint(request);
      const cached = await this.lookup(ledger, fingerprint);
      const rateLimit = await this.reserve(ledger, subjects, cached !== undefined);
      if (cached) {
        this.finish(ledger, 'ok');
        return this.response(ledger, cached.message, cached.finishReason, rateLimit);
      }
      const { result, served } = await this.router.complete(ledger.resolution!, request, ctx.signal);
      ledger.firstTokenAt = Date.now();
      ledger.deployment = served.deployment;
      ledger.fallbacks = served.fallbacks;
      ledger.usage = result.usage ?? {
        promptTokens: countPromptTokens(request),
        completionTokens: countTextTokens(result.message.content) + result.message.toolCalls.reduce((n, t) => n + countTextTokens(t.arguments), 0),
      };
      if (ledger.cache !== 'bypass') {
        void this.cacheStore.set(ctx.principal.userId, fingerprint, { deployment: served.deployment, message: result.message, finishReason: result.finishReason, usage: ledger.usage });
      }
      this.finish(ledger, 'ok');
      return this.response(ledger, result.message, result.finishReason, rateLimit);
    } catch (err) {
      this.finish(ledger, err instanceof CancelledError ? 'cancelled' : 'error', err);
      throw err;
    }
  }

  /**
   * Chunks of a streamed completion as they arrive. The first chunk carries the role, the
   * cache status and the rate-limit state; the last the finish reason and usage. A failure
   * before the first chunk was produced is a plain error (the client gets an HTTP error);
   * after it, StreamBrokenError. Ending the iteration early (client gone) cancels the provider.
   */
  async *stream(request: aiGatewayV1.ChatCompletionRequest, ctx: CallContext): AsyncGenerator<aiGatewayV1.ChatCompletionChunk> {
    const ledger = this.begin(request, ctx, true);
    const id = `chatcmpl-${randomUUID().replace(/-/g, '')}`;
    const createdAt = new Date().toISOString();
    let content = '';
    let toolArgs = '';
    let finishReason = '';
    let reported: TokenUsage | undefined;
    const deltas: StreamDelta[] = [];
    let first = true;
    let ended = false;
    const chunk = (d: StreamDelta, extra: Partial<aiGatewayV1.ChatCompletionChunk> = {}): aiGatewayV1.ChatCompletionChunk => ({
      id,
      model: ledger.deployment,
      createdAt,
      role: first ? 'assistant' : '',
      content: d.content ?? '',
      toolCalls: d.toolCalls ?? [],
      finishReason: '',
      usage: undefined,
      keepAlive: false,
      cache: first ? ledger.cache : '',
      rateLimit: undefined,
      ...extra,
    });
    try {
      const subjects = this.policy.subjectsOf(ctx.principal);
      const fingerprint = cacheFingerprint(request);
      const cached = await this.lookup(ledger, fingerprint);
      const rateLimit = await this.reserve(ledger, subjects, cached !== undefined);
      const source: AsyncGenerator<StreamDelta, unknown> = cached
        ? replay(cached)
        : this.router.stream(ledger.resolution!, request, ctx.signal, (served) => {
            ledger.deployment = served.deployment;
            ledger.fallbacks = served.fallbacks;
          });
      if (cached) {
        ledger.deployment = cached.deployment;
        ledger.usage = cached.usage;
        reported = cached.usage;
      }
      for (;;) {
        const next = await source.next();
        if (next.done) break;
        const d = next.value;
        if (!ledger.firstTokenAt) ledger.firstTokenAt = Date.now();
        if (d.usage) reported = d.usage;
        if (d.content) content += d.content;
        if (d.toolCalls) for (const t of d.toolCalls) toolArgs += t.arguments + t.name;
        if (d.finishReason) finishReason = d.finishReason;
        if (!cached) deltas.push({ content: d.content, toolCalls: d.toolCalls, finishReason: d.finishReason });
        // Finish reason and usage travel on the last chunk; a delta holding only those sends nothing now.
        if (d.content === undefined && !d.toolCalls) continue;
        const out = chunk(d, first ? { rateLimit } : {});
        first = false;
        yield out;
      }
      ledger.usage = reported ?? { promptTokens: countPromptTokens(request), completionTokens: countTextTokens(content) + countTextTokens(toolArgs) };
      const { costUsd, unpriced } = costOf(this.config, ledger.deployment, ledger.usage);
      const usage = this.usageMessage(ledger, cached ? 0 : costUsd, unpriced);
      if (!cached && ledger.cache !== 'bypass' && finishReason) {
        void this.cacheStore.set(ctx.principal.userId, fingerprint, {
          deployment: ledger.deployment,
          message: { role: 'assistant', content, name: '', toolCallId: '', toolCalls: [] },
          finishReason,
          usage: ledger.usage,
          deltas,
        });
      }
      ended = true;
      this.finish(ledger, 'ok');
      yield chunk({}, { finishReason: finishReason || 'stop', usage, ...(first ? { rateLimit } : {}) });
    } catch (err) {
      ended = true;
      const status = err instanceof CancelledError || ctx.signal.aborted ? 'cancelled' : 'error';
      if (!ledger.usage.completionTokens && (content || toolArgs)) {
        ledger.usage = reported ?? { promptTokens: countPromptTokens(request), completionTokens: countTextTokens(content) + countTextTokens(toolArgs) };
      }
      this.finish(ledger, status, err);
      if (status === 'cancelled') return;
      throw err instanceof StreamBrokenError || first ? err : new StreamBrokenError((err as Error).message);
    } finally {
      if (!ended) {
        // The consumer stopped pulling (client gone): the provider stream was closed by return().
        if (!ledger.usage.completionTokens && (content || toolArgs)) {
          ledger.usage = reported ?? { promptTokens: countPromptTokens(request), completionTokens: countTextTokens(content) + countTextTokens(toolArgs) };
        }
        this.finish(ledger, 'cancelled');
      }
    }
  }

  private async lookup(ledger: CompletionLedger, fingerprint: string): Promise<CachedCompletion | undefined> {
    if (ledger.ctx.cacheMode === 'bypass' || !this.cacheStore.enabled) {
      ledger.cache = 'bypass';
      return undefined;
    }
    const hit = await this.cacheStore.get(ledger.ctx.principal.userId, fingerprint);
    if (hit) {
      ledger.cache = 'hit';
      ledger.deployment = hit.deployment;
      ledger.usage = hit.usage;
    }
    return hit;
  }

  private usageMessage(ledger: CompletionLedger, costUsd: number, unpriced: boolean): aiGatewayV1.Usage {
    const u = ledger.usage;
    return {
      promptTokens: u.promptTokens,
      completionTokens: u.completionTokens,
      totalTokens: u.promptTokens + u.completionTokens,
      costUsd,
      latencyMs: Date.now() - ledger.startedAt,
      provider: splitModel(ledger.deployment)?.provider ?? '',
      model: ledger.deployment,
      cacheHit: ledger.cache === 'hit',
      unpriced,
    };
  }

  private response(ledger: CompletionLedger, message: aiGatewayV1.ChatMessage, finishReason: string, rateLimit: aiGatewayV1.RateLimitState): aiGatewayV1.ChatCompletionResponse {
    const { costUsd, unpriced } = costOf(this.config, ledger.deployment, ledger.usage);
    return {
      id: `chatcmpl-${randomUUID().replace(/-/g, '')}`,
      model: ledger.deployment,
      createdAt: new Date().toISOString(),
      message,
      finishReason,
      usage: this.usageMessage(ledger, ledger.cache === 'hit' ? 0 : costUsd, unpriced),
      cache: ledger.cache,
      rateLimit,
    };
  }

  /** Settles the reservation and records the one event of this request (never throws). */
  private finish(ledger: CompletionLedger, status: 'ok' | 'error' | 'cancelled', err?: unknown): void {
    if (!ledger.claimEnd()) return;
    try {
      const priced = ledger.deployment ? costOf(this.config, ledger.deployment, ledger.usage) : { costUsd: 0, unpriced: false };
      const costUsd = ledger.cache === 'hit' ? 0 : priced.costUsd;
      if (ledger.reservation) {
        const reservation = ledger.reservation;
        this.budgets
          .settle(reservation, { costUsd, tokens: ledger.cache === 'hit' ? 0 : ledger.usage.promptTokens + ledger.usage.completionTokens })
          .catch((e: Error) => this.logger.warn(`budget not settled: ${e.message}`));
      }
      if (status === 'error' && !(err instanceof DomainError)) this.logger.error(`completion failed: ${(err as Error)?.message ?? String(err)}`);
      const event: aiGatewayV1Events.CompletionCompleted = {
        requestId: ledger.ctx.requestId,
        usage: this.usageMessage(ledger, costUsd, priced.unpriced),
        requestedModel: ledger.request.model,
        alias: ledger.resolution?.alias ?? '',
        status,
        errorCode: status === 'error' ? errorCodeOf(err) : '',
        timeToFirstTokenMs: ledger.firstTokenAt ? ledger.firstTokenAt - ledger.startedAt : 0,
        stream: ledger.stream,
        fallbacks: ledger.fallbacks,
        cache: ledger.cache,
        apiKeyId: ledger.ctx.principal.apiKeyId ?? '',
        endUser: ledger.request.user,
      };
      this.recorder.completion(ledger.ctx.principal.userId, event);
    } catch (e) {
      this.logger.error(`usage not recorded: ${(e as Error).message}`);
    }
  }
}

async function* replay(entry: CachedCompletion): AsyncGenerator<StreamDelta, undefined> {
  for (const d of replayDeltas(entry)) yield d;
  return undefined;
}
