import { Inject, Injectable } from '@nestjs/common';
import type { aiGatewayV1 } from '@aether/contracts';
import { DomainError } from '@aether/service-kit';
import type { CallContext } from '../completions/completions.service';
import { validateEmbeddingsRequest } from '../completions/request-validation';
import { type GatewayConfig, splitModel } from '../config/gateway-config';
import { GATEWAY_CONFIG } from '../config/tokens';
import { Budgets, emptyState, type Reservation } from '../limits/budgets';
import { LimitPolicy } from '../limits/limit-policy';
import { CancelledError } from '../routing/errors';
import { ModelRouter, type Resolution } from '../routing/router';
import { costOf } from '../usage/pricing';
import { UsageRecorder } from '../usage/usage-recorder';

/** Embeddings through the same routing, limits and usage events as chat. */
@Injectable()
export class EmbeddingsService {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly router: ModelRouter,
    private readonly budgets: Budgets,
    private readonly policy: LimitPolicy,
    private readonly recorder: UsageRecorder,
  ) {}

  async create(request: aiGatewayV1.CreateEmbeddingsRequest, ctx: CallContext): Promise<aiGatewayV1.CreateEmbeddingsResponse> {
    const startedAt = Date.now();
    let resolution: Resolution | undefined;
    let reservation: Reservation | undefined;
    let deployment = '';
    let promptTokens = 0;
    let dimensions = 0;
    let status: 'ok' | 'error' | 'cancelled' = 'error';
    let errorCode = '';
    try {
      validateEmbeddingsRequest(request);
      resolution = this.router.resolve(request.model);
      const estimate = request.inputs.reduce((n, t) => n + Math.ceil(t.length / 3) + 1, 0);
      const worst = Math.max(0, ...this.router.deploymentsOf(resolution).map((d) => costOf(this.config, d, { promptTokens: estimate, completionTokens: 0 }).costUsd));
      const subjects = this.policy.subjectsOf(ctx.principal);
      const outcome = subjects.length ? await this.policy.reserve(subjects, { costUsd: worst, tokens: estimate }) : undefined;
      if (outcome && !outcome.ok) throw this.policy.refusal(outcome);
      reservation = outcome?.reservation;
      const { result, served } = await this.router.embed(resolution, request.inputs, request.user, ctx.signal);
      deployment = served.deployment;
      promptTokens = result.promptTokens ?? estimate;
      dimensions = result.vectors[0]?.length ?? 0;
      status = 'ok';
      const { costUsd, unpriced } = costOf(this.config, deployment, { promptTokens, completionTokens: 0 });
      return {
        model: deployment,
        embeddings: result.vectors.map((vector, index) => ({ index, vector })),
        usage: {
          promptTokens,
          completionTokens: 0,
          totalTokens: promptTokens,
          costUsd,
          latencyMs: Date.now() - startedAt,
          provider: splitModel(deployment)?.provider ?? '',
          model: deployment,
          cacheHit: false,
          unpriced,
        },
        rateLimit: outcome?.ok ? outcome.rateLimit : emptyState(),
      };
    } catch (err) {
      status = err instanceof CancelledError ? 'cancelled' : 'error';
      errorCode = status === 'error' ? (err instanceof DomainError ? err.code : 'upstream_unavailable') : '';
      throw err;
    } finally {
      const { costUsd, unpriced } = deployment ? costOf(this.config, deployment, { promptTokens, completionTokens: 0 }) : { costUsd: 0, unpriced: false };
      if (reservation) void this.budgets.settle(reservation, { costUsd, tokens: promptTokens }).catch(() => undefined);
      this.recorder.embedding(ctx.principal.userId, {
        requestId: ctx.requestId,
        usage: {
          promptTokens,
          completionTokens: 0,
          totalTokens: promptTokens,
          costUsd,
          latencyMs: Date.now() - startedAt,
          provider: splitModel(deployment)?.provider ?? '',
          model: deployment,
          cacheHit: false,
          unpriced,
        },
        requestedModel: request.model,
        alias: resolution?.alias ?? '',
        status,
        errorCode,
        inputs: request.inputs.length,
        dimensions,
        apiKeyId: ctx.principal.apiKeyId ?? '',
        endUser: request.user,
      });
    }
  }
}
