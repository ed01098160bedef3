import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { CompletionCompletedEvent, EmbeddingCompletedEvent, type aiGatewayV1, type aiGatewayV1Events } from '@aether/contracts';
import type { EventPublisher } from '@aether/messaging';

/** Usage rollups are kept this long (GET /api/v1/ai/usage reads them). */
const ROLLUP_TTL_SECONDS = 400 * 86_400;
/** Events waiting for the broker at most; beyond it the oldest are dropped (and counted). */
const MAX_PENDING = 10_000;

const hourOf = (t: Date) => t.toISOString().slice(0, 13); // 2030-05-01T10

/**
 * Usage off the hot path: each finished request gives exactly one event (published with
 * confirms, retried while the broker is away) and one increment of the caller's hourly rollup
 * in Redis. Nothing here is awaited by the request.
 */
export class UsageRecorder {
  private readonly logger = new Logger('UsageRecorder');
  private pending = 0;
  dropped = 0;

  constructor(
    private readonly redis: Redis,
    private readonly publisher: EventPublisher,
  ) {}

  completion(userId: string, event: aiGatewayV1Events.CompletionCompleted, at = new Date()): void {
    this.rollup(userId, event.usage, at);
    this.publish(() => this.publisher.publish(CompletionCompletedEvent, event, { subject: userId }));
  }

  embedding(userId: string, event: aiGatewayV1Events.EmbeddingCompleted, at = new Date()): void {
    this.publish(() => this.publisher.publish(EmbeddingCompletedEvent, event, { subject: userId }));
    void at;
  }

  private rollup(userId: string, usage: aiGatewayV1.Usage | undefined, at: Date): void {
    const key = `usage:${userId}:${hourOf(at)}`;
    const model = usage?.model || 'none';
    const multi = this.redis.multi();
    multi.hincrby(key, 'requests', 1);
    multi.hincrby(key, `requests|${model}`, 1);
    if (usage?.promptTokens) {
      multi.hincrby(key, 'prompt', usage.promptTokens);
      multi.hincrby(key, `prompt|${model}`, usage.promptTokens);
    }
    if (usage?.completionTokens) {
      multi.hincrby(key, 'completion', usage.completionTokens);
      multi.hincrby(key, `completion|${model}`, usage.completionTokens);
    }
    if (usage?.costUsd) {
      multi.hincrbyfloat(key, 'cost', usage.costUsd);
      multi.hincrbyfloat(key, `cost|${model}`, usage.costUsd);
    }
    multi.expire(key, ROLLUP_TTL_SECONDS);
    multi.exec().catch((err: Error) => this.logger.warn(`usage rollup not written: ${err.message}`));
  }

  private publish(send: () => Promise<unknown>, attempt = 0): void {
    if (attempt === 0) {
      if (this.pending >= MAX_PENDING) {
        this.dropped++;
        this.logger.error('usage event dropped: too many events waiting for the broker');
        return;
      }
      this.pending++;
    }
    send().then(
      () => this.pending--,
      (err: Error) => {
        if (attempt >= 20) {
          this.pending--;
          this.dropped++;
          this.logger.error(`usage event dropped after ${attempt + 1} attempts: ${err.message}`);
          return;
        }
        setTimeout(() => this.publish(send, attempt + 1), Math.min(30_000, 250 * 2 ** attempt)).unref();
      },
    );
  }

  /** Sums the caller's hourly rollups over [from, to). */
  async usage(userId: string, from: Date, to: Date): Promise<aiGatewayV1.GetUsageResponse> {
    const hours: string[] = [];
    for (let t = Math.floor(from.getTime() / 3_600_000) * 3_600_000; t < to.getTime(); t += 3_600_000) hours.push(hourOf(new Date(t)));
    const out: aiGatewayV1.GetUsageResponse = { from: from.toISOString(), to: to.toISOString(), requests: '0', promptTokens: '0', completionTokens: '0', costUsd: 0, byModel: {} };
    if (hours.length === 0) return out;
    const pipeline = this.redis.pipeline();
    for (const h of hours) pipeline.hgetall(`usage:${userId}:${h}`);
    const results = (await pipeline.exec()) ?? [];
    let requests = 0;
    let prompt = 0;
    let completion = 0;
    const byModel = new Map<string, { requests: number; prompt: number; completion: number; cost: number }>();
    for (const [err, value] of results) {
      if (err) throw err;
      const h = value as Record<string, string>;
      for (const [field, raw] of Object.entries(h)) {
        const v = Number(raw);
        const [kind, model] = field.split('|', 2);
        if (model === undefined) {
          if (kind === 'requests') requests += v;
          else if (kind === 'prompt') prompt += v;
          else if (kind === 'completion') completion += v;
          else if (kind === 'cost') out.costUsd += v;
          continue;
        }
        if (model === 'none') continue;
        const m = byModel.get(model) ?? { requests: 0, prompt: 0, completion: 0, cost: 0 };
        if (kind === 'requests') m.requests += v;
        else if (kind === 'prompt') m.prompt += v;
        else if (kind === 'completion') m.completion += v;
        else if (kind === 'cost') m.cost += v;
        byModel.set(model, m);
      }
    }
    out.requests = String(requests);
    out.promptTokens = String(prompt);
    out.completionTokens = String(completion);
    out.costUsd = Math.round(out.costUsd * 1e9) / 1e9;
    for (const [model, m] of byModel) {
      out.byModel[model] = { requests: String(m.requests), promptTokens: String(m.prompt), completionTokens: String(m.completion), costUsd: Math.round(m.cost * 1e9) / 1e9 };
    }
    return out;
  }
}
