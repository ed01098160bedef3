import { Logger } from '@nestjs/common';
import type { aiGatewayV1 } from '@aether/contracts';
import { type Deployment, type GatewayConfig, splitModel } from '../config/gateway-config';
import type { ChatProvider, CompletionResult, EmbeddingResult, StreamDelta } from '../providers/provider';
import { ProviderError } from '../providers/provider-error';
import type { ProviderRegistry } from '../providers/provider-registry';
import { AttemptTimers } from './attempt-timers';
import type { BreakerPermit, CircuitBreakers } from './circuit-breaker';
import {
  CancelledError,
  contextLengthExceeded,
  invalidRequest,
  modelNotFound,
  StreamBrokenError,
  upstreamUnavailable,
  UpstreamTimeoutError,
} from './errors';

export interface RouterSettings {
  maxRetries: number;
  retryBaseDelayMs: number;
  maxRetryWaitMs: number;
  firstTokenTimeoutMs: number;
  streamIdleTimeoutMs: number;
  totalTimeoutMs: number;
}

/** What a requested model resolves to: the alias (if it is one) and its ordered steps. */
export interface Resolution {
  requested: string;
  alias: string;
  steps: Deployment[][];
}

/** Where an answer came from. */
export interface Served {
  /** `<provider>/<model>` that answered. */
  deployment: string;
  /** Targets tried before it. */
  fallbacks: number;
}

/** A deployment's provider and the provider's own model name. */
interface Target {
  id: string;
  provider: ChatProvider;
  model: string;
  contextWindow?: number;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(new CancelledError());
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new CancelledError());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

/** Orders one step's deployments by weighted random draw without replacement. */
export function weightedOrder<T extends { weight: number }>(items: T[], random: () => number = Math.random): T[] {
  if (items.length <= 1) return items.slice();
  const pool = items.slice();
  const out: T[] = [];
  while (pool.length > 0) {
    const total = pool.reduce((s, d) => s + d.weight, 0);
    let r = random() * total;
    let i = 0;
    while (i < pool.length - 1 && (r -= pool[i].weight) >= 0) i++;
    out.push(pool.splice(i, 1)[0]);
  }
  return out;
}

/**
 * Routing that never fails a request the platform could have served: an alias's steps in
 * order (weights balance within a step); per deployment, retries with exponential backoff that
 * honour Retry-After (a longer one than maxRetryWaitMs is not waited for: the next target goes
 * at once); fallback on 429, 5xx, timeouts, connection errors (and on a bad key or an unknown
 * model at that provider); never on a plain 400; a context-length error goes only to targets
 * with a larger context window. Deployments whose shared circuit breaker is open are skipped —
 * unless every target is open, then they are tried anyway rather than failing unserved.
 */
export class ModelRouter {
  private readonly logger = new Logger('ModelRouter');

  constructor(
    private readonly config: GatewayConfig,
    private readonly registry: ProviderRegistry,
    private readonly breakers: CircuitBreakers,
    private readonly settings: RouterSettings,
  ) {}

  resolve(model: string): Resolution {
    const steps = this.config.aliases.get(model);
    if (steps) return { requested: model, alias: model, steps };
    const parts = splitModel(model);
    if (!parts || !this.registry.get(parts.provider)) throw modelNotFound(model);
    return { requested: model, alias: '', steps: [[{ model, weight: 1 }]] };
  }

  private targets(resolution: Resolution): Target[] {
    const out: Target[] = [];
    for (const step of resolution.steps) {
      for (const d of weightedOrder(step)) {
        const parts = splitModel(d.model)!;
        const provider = this.registry.get(parts.provider);
        if (provider && !out.some((t) => t.id === d.model)) {
          out.push({ id: d.model, provider, model: parts.model, contextWindow: this.config.models.get(d.model)?.contextWindow });
        }
      }
    }
    return out;
  }

  /** Every price-relevant target of a resolution (budget reservations use the dearest). */
  deploymentsOf(resolution: Resolution): string[] {
    return resolution.steps.flat().map((d) => d.model);
  }

  async complete(resolution: Resolution, request: aiGatewayV1.ChatCompletionRequest, signal: AbortSignal): Promise<{ result: CompletionResult; served: Served }> {
    return this.run(resolution, signal, async (target, timers) => {
      const result = await target.provider.complete(target.model, request, { signal: timers.signal, onProgress: timers.progress });
      return result;
    }, false);
  }

  async embed(resolution: Resolution, inputs: string[], user: string, signal: AbortSignal): Promise<{ result: EmbeddingResult; served: Served }> {
    return this.run(resolution, signal, (target, timers) => target.provider.embed(target.model, inputs, user, { signal: timers.signal, onProgress: timers.progress }), false);
  }

  /**
   * A stream that falls back invisibly until its first delta, and after that can only end or
   * fail with StreamBrokenError (the client then gets an error event, never a silent stop).
   * Returning early (the client left) aborts the provider request at once.
   */
  async *stream(
    resolution: Resolution,
    request: aiGatewayV1.ChatCompletionRequest,
    signal: AbortSignal,
    onCommit: (served: Served) => void,
  ): AsyncGenerator<StreamDelta, Served> {
    let committed: { iterator: AsyncGenerator<StreamDelta>; first: StreamDelta; timers: AttemptTimers; target: Target; permit: BreakerPermit; served: Served } | undefined;
    await this.run(resolution, signal, async (target, timers, permit, fallbacks) => {
      const iterator = target.provider.stream(target.model, request, { signal: timers.signal, onProgress: timers.progress });
      const first = await iterator.next();
      if (first.done) throw new ProviderError('server', 'the stream ended without any content');
      timers.firstToken();
      committed = { iterator, first: first.value, timers, target, permit, served: { deployment: target.id, fallbacks } };
      onCommit(committed.served);
      return undefined;
    }, true);
    const c = committed!;
    let finished = false;
    try {
      yield c.first;
      for (;;) {
        const next = await c.iterator.next();
        if (next.done) break;
        yield next.value;
      }
      finished = true;
      void this.breakers.success(c.target.id, c.permit);
      return c.served;
    } catch (err) {
      if (err instanceof CancelledError || signal.aborted) throw new CancelledError();
      const pe = err instanceof ProviderError ? err : new ProviderError('server', (err as Error).message);
      if (pe.unhealthy) void this.breakers.failure(c.target.id);
      throw new StreamBrokenError(pe.message);
    } finally {
      c.timers.dispose(!finished);
      if (!finished) void c.iterator.return(undefined).catch(() => undefined);
    }
  }

  /**
   * Tries the targets in order. `stream` attempts keep their timers alive on success (the
   * caller disposes them); the others are disposed here.
   */
  private async run<T>(
    resolution: Resolution,
    signal: AbortSignal,
    call: (target: Target, timers: AttemptTimers, permit: BreakerPermit, fallbacks: number) => Promise<T>,
    stream: boolean,
  ): Promise<{ result: T; served: Served }> {
    const all = this.targets(resolution);
    const permits = await Promise.all(all.map((t) => this.breakers.acquire(t.id)));
    let order = all.map((t, i) => ({ target: t, permit: permits[i] })).filter((x) => x.permit !== 'open');
    if (order.length === 0) order = all.map((t) => ({ target: t, permit: 'closed' as BreakerPermit }));

    let lastError: ProviderError | undefined;
    let minContext = 0;
    let tried = 0;
    for (const { target, permit } of order) {
      if (minContext > 0 && !((target.contextWindow ?? 0) > minContext)) continue;
      for (let attempt = 0; ; attempt++) {
        if (signal.aborted) throw new CancelledError();
        const timers = new AttemptTimers(signal, {
          firstTokenMs: stream ? this.settings.firstTokenTimeoutMs : 0,
          idleMs: stream ? this.settings.streamIdleTimeoutMs : 0,
          totalMs: target.provider.config.timeoutMs ?? this.settings.totalTimeoutMs,
        });
        let keepTimers = false;
        try {
          const result = await call(target, timers, permit, tried);
          keepTimers = stream;
          if (!stream) void this.breakers.success(target.id, permit);
          return { result, served: { deployment: target.id, fallbacks: tried } };
        } catch (err) {
          if (err instanceof CancelledError || signal.aborted) throw new CancelledError();
          if (!(err instanceof ProviderError)) throw err;
          lastError = err;
          this.logger.warn(`${target.id} failed (${err.failure}, attempt ${attempt + 1}): ${err.message}`);
          if (err.failure === 'bad_request') throw invalidRequest(`${target.id}: ${err.message}`, err.param ?? '');
          if (err.unhealthy) void this.breakers.failure(target.id);
          if (err.failure === 'context_length') {
            minContext = Math.max(minContext, target.contextWindow ?? 1);
            break;
          }
          if (!err.retryable || attempt >= this.settings.maxRetries) break;
          const backoff = this.settings.retryBaseDelayMs * 2 ** attempt * (0.5 + Math.random() / 2);
          if (err.retryAfterMs !== undefined && err.retryAfterMs > this.settings.maxRetryWaitMs) break;
          await sleep(Math.max(backoff, err.retryAfterMs ?? 0), signal);
        } finally {
          if (!keepTimers) timers.dispose(true);
        }
      }
      tried++;
    }
    if (lastError?.failure === 'context_length' || (minContext > 0 && !lastError)) {
      throw contextLengthExceeded(`The request is longer than the context window of every model '${resolution.requested}' names`);
    }
    if (!lastError) throw upstreamUnavailable(`No provider of '${resolution.requested}' is available`);
    if (lastError.failure === 'timeout' && tried > 0) throw new UpstreamTimeoutError(`Every provider of '${resolution.requested}' timed out`);
    throw upstreamUnavailable(`Every provider of '${resolution.requested}' failed (last: ${lastError.message})`.slice(0, 300));
  }
}
