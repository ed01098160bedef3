import { createHash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import type { aiGatewayV1 } from '@aether/contracts';
import type { StreamDelta, TokenUsage } from '../providers/provider';

/** A cached answer: enough to answer a plain request or to replay a stream chunk by chunk. */
export interface CachedCompletion {
  deployment: string;
  message: aiGatewayV1.ChatMessage;
  finishReason: string;
  usage: TokenUsage;
  /** The deltas as the provider streamed them (absent when the answer was not streamed). */
  deltas?: StreamDelta[];
}

/** Entries larger than this are not cached (a cache is for the common case, not for novels). */
const MAX_ENTRY_BYTES = 1_048_576;

/**
 * The normalised request: what determines the answer (model as asked, messages, sampling
 * parameters, tools, response format), in a fixed order, so key order or an absent vs default
 * field in the client's JSON does not split the cache; `user` and `stream` are not part of it.
 */
export function cacheFingerprint(r: aiGatewayV1.ChatCompletionRequest): string {
  const normalised = [
    r.model,
    r.messages.map((m) => [m.role === 'developer' ? 'system' : m.role, m.content, m.name, m.toolCallId, m.toolCalls.map((t) => [t.id, t.name, t.arguments])]),
    r.temperature ?? null,
    r.topP ?? null,
    r.maxTokens ?? null,
    r.stop,
    r.tools.map((t) => [t.name, t.description, t.parametersJson]),
    r.toolChoiceJson,
    r.responseFormatJson,
  ];
  return createHash('sha256').update(JSON.stringify(normalised)).digest('base64url');
}

/**
 * Exact-match response cache in Redis, partitioned per tenant (the key's owner: one user's
 * answers are never served to another). Redis away: every lookup is a miss, nothing fails.
 */
export class ResponseCache {
  private readonly logger = new Logger('ResponseCache');

  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
  ) {}

  get enabled(): boolean {
    return this.ttlSeconds > 0;
  }

  private key(tenant: string, fingerprint: string): string {
    return `cache:${tenant}:${fingerprint}`;
  }

  async get(tenant: string, fingerprint: string): Promise<CachedCompletion | undefined> {
    if (!this.enabled) return undefined;
    try {
      const raw = await this.redis.get(this.key(tenant, fingerprint));
      return raw ? (JSON.parse(raw) as CachedCompletion) : undefined;
    } catch (err) {
      this.logger.warn(`cache lookup failed (answering from the provider): ${(err as Error).message}`);
      return undefined;
    }
  }

  async set(tenant: string, fingerprint: string, entry: CachedCompletion): Promise<void> {
    if (!this.enabled) return;
    const raw = JSON.stringify(entry);
    if (raw.length > MAX_ENTRY_BYTES) return;
    try {
      await this.redis.set(this.key(tenant, fingerprint), raw, 'EX', this.ttlSeconds);
    } catch (err) {
      this.logger.warn(`cache write failed: ${(err as Error).message}`);
    }
  }
}

/** The deltas a cached entry replays: its own stream, or the whole answer in two chunks. */
export function replayDeltas(entry: CachedCompletion): StreamDelta[] {
  if (entry.deltas && entry.deltas.length > 0) return entry.deltas.map((d) => ({ ...d, usage: undefined }));
  const out: StreamDelta[] = [];
  if (entry.message.content) out.push({ content: entry.message.content });
  if (entry.message.toolCalls.length > 0) {
    out.push({ toolCalls: entry.message.toolCalls.map((t, index) => ({ index, id: t.id, name: t.name, arguments: t.arguments })) });
  }
  out.push({ finishReason: entry.finishReason });
  return out;
}
