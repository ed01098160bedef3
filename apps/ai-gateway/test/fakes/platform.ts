import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as amqp from 'amqplib';
import Redis from 'ioredis';
import OpenAI from 'openai';
import {
  createTempVhost,
  FakeAnthropic,
  FakeOpenAi,
  freePort,
  startApp,
  TEST_REDIS_URL,
  TestIdentities,
  uniqueName,
  waitFor,
  type StartedApp,
  type TempResource,
  type TestUser,
} from '@aether/testing';

export const OPENAI_KEY = 'sk-fake-openai-key';
export const GROQ_KEY = 'gsk-fake-groq-key';
export const ANTHROPIC_KEY = 'sk-ant-fake-key';

/** A CloudEvent as ai-gateway published it on aether.events. */
export interface SeenEvent {
  type: string;
  subject: string;
  data: Record<string, any>;
}

/**
 * ai-gateway and api-gateway as real processes (from dist/: run `npm run build` first) in
 * front of a fake OpenAI ("openai"), a second fake OpenAI-compatible API ("groq"), a fake
 * Anthropic, and a provider whose port refuses connections ("dead"); its own RabbitMQ vhost
 * (every published event is collected) and Redis key prefix.
 */
export class AiPlatform {
  readonly identities = new TestIdentities();
  readonly openai = new FakeOpenAi(OPENAI_KEY);
  readonly groq = new FakeOpenAi(GROQ_KEY);
  readonly anthropic = new FakeAnthropic(ANTHROPIC_KEY);
  readonly events: SeenEvent[] = [];
  readonly redisPrefix = `${uniqueName('ai_gw')}:`;
  redis!: Redis;
  vhost!: TempResource;
  aiGateway!: StartedApp;
  gateway!: StartedApp;
  replicas: StartedApp[] = [];
  private dir = mkdtempSync(join(tmpdir(), 'ai-gw-'));
  private amqpConnection?: amqp.ChannelModel;
  configFile = '';
  deadPort = 0;

  config(): string {
    return `
providers:
  openai:    { kind: openai,    baseUrl: ${this.openai.baseUrl}, apiKeyEnv: TEST_OPENAI_KEY }
  groq:      { kind: openai,    baseUrl: ${this.groq.baseUrl}, apiKeyEnv: TEST_GROQ_KEY }
  anthropic: { kind: anthropic, baseUrl: ${this.anthropic.baseUrl}, apiKeyEnv: TEST_ANTHROPIC_KEY }
  slow:      { kind: openai,    baseUrl: ${this.groq.baseUrl}, apiKeyEnv: TEST_GROQ_KEY, timeoutMs: 800 }
  dead:      { kind: openai,    baseUrl: http://127.0.0.1:${this.deadPort}/v1 }
models:
  openai/gpt-4o-mini: { inputPerMTok: 0.15, outputPerMTok: 0.60, contextWindow: 128000 }
  openai/gpt-4.1: { inputPerMTok: 2, outputPerMTok: 8, contextWindow: 1000000 }
  groq/llama-3.1-8b-instant: { inputPerMTok: 0.05, outputPerMTok: 0.08, contextWindow: 8000 }
  groq/small-ctx: { inputPerMTok: 0.05, outputPerMTok: 0.08, contextWindow: 8000 }
  openai/mid-ctx: { inputPerMTok: 0.15, outputPerMTok: 0.60, contextWindow: 128000 }
  anthropic/claude-3-5-haiku: { inputPerMTok: 0.8, outputPerMTok: 4, contextWindow: 200000 }
  openai/priced: { inputPerMTok: 1000000, outputPerMTok: 1000000 }
aliases:
  fast: [groq/llama-3.1-8b-instant, openai/gpt-4o-mini]
  claude: [anthropic/claude-3-5-haiku]
  refused: [dead/any-model, openai/gpt-4o-mini]
  timeout: [slow/hangs, openai/gpt-4o-mini]
  flaky: [groq/flaky, openai/gpt-4o-mini]
  strict: [groq/strict, openai/gpt-4o-mini]
  breaking: [groq/breaking, openai/gpt-4o-mini]
  long: [groq/small-ctx, openai/mid-ctx, groq/llama-3.1-8b-instant, openai/gpt-4.1]
  short: [groq/small-ctx, groq/llama-3.1-8b-instant]
  shared: [groq/shared, openai/gpt-4o-mini]
  balanced:
    - [{ model: groq/llama-3.1-8b-instant, weight: 3 }, { model: openai/gpt-4o-mini, weight: 1 }]
limits:
  developer: { usdPerDay: 1000, tokensPerMinute: 10000000, requestsPerMinute: 100000 }
cache: { ttlSeconds: 600 }
`;
  }

  aiEnv(): Record<string, string> {
    return {
      AI_GATEWAY_CONFIG: this.configFile,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: this.redisPrefix,
      RABBITMQ_URL: this.vhost.url,
      AUTH_JWKS_URL: this.identities.jwksUrl,
      TEST_OPENAI_KEY: OPENAI_KEY,
      TEST_GROQ_KEY: GROQ_KEY,
      TEST_ANTHROPIC_KEY: ANTHROPIC_KEY,
      AI_KEEPALIVE_INTERVAL_MS: '200',
      AI_FIRST_TOKEN_TIMEOUT_MS: '3000',
      AI_STREAM_IDLE_TIMEOUT_MS: '3000',
      AI_RETRY_BASE_DELAY_MS: '10',
      AI_MAX_RETRIES: '1',
      AI_BREAKER_FAILURE_THRESHOLD: '3',
      AI_BREAKER_OPEN_MS: '1500',
    };
  }

  async start(): Promise<this> {
    this.deadPort = await freePort();
    const [vhost] = await Promise.all([createTempVhost('ai_gw'), this.identities.start(), this.openai.start(), this.groq.start(), this.anthropic.start()]);
    this.vhost = vhost;
    this.configFile = join(this.dir, 'ai-gateway.yaml');
    writeFileSync(this.configFile, this.config());
    this.redis = new Redis(TEST_REDIS_URL);
    await this.collectEvents();
    this.aiGateway = await startApp('ai-gateway', this.aiEnv());
    this.gateway = await startApp('api-gateway', {
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: `${this.redisPrefix}gw:`,
      AUTH_JWKS_URL: this.identities.jwksUrl,
      AI_GATEWAY_GRPC_URL: this.aiGateway.grpcAddress,
      SECURITY_GRPC_URL: '127.0.0.1:1',
      RATE_LIMIT_DEFAULT_POINTS: '100000',
      RATE_LIMIT_ANON_POINTS: '100000',
    });
    return this;
  }

  /** Another ai-gateway replica sharing this one's Redis (breakers, budgets, cache). */
  async replica(): Promise<StartedApp> {
    const r = await startApp('ai-gateway', this.aiEnv());
    this.replicas.push(r);
    return r;
  }

  private async collectEvents(): Promise<void> {
    const conn = await amqp.connect(this.vhost.url);
    this.amqpConnection = conn;
    const ch = await conn.createChannel();
    await ch.assertExchange('aether.events', 'topic', { durable: true });
    const q = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(q.queue, 'aether.events', 'ai-gateway.#');
    await ch.consume(q.queue, (msg) => {
      if (!msg) return;
      const e = JSON.parse(msg.content.toString('utf8'));
      this.events.push({ type: e.type, subject: e.subject, data: e.data });
      ch.ack(msg);
    });
  }

  /** Completion events of one request id (waits a little for the asynchronous publish). */
  async eventsOf(requestId: string, count = 1): Promise<SeenEvent[]> {
    await waitFor(() => this.events.filter((e) => e.data.requestId === requestId).length >= count, { timeoutMs: 10_000, what: `${count} event(s) of ${requestId}` });
    await new Promise((r) => setTimeout(r, 300)); // a duplicate would show up meanwhile
    return this.events.filter((e) => e.data.requestId === requestId);
  }

  get baseUrl(): string {
    return `${this.gateway.httpUrl}/v1`;
  }

  /** The official SDK pointed at the gateway, with a counter of the HTTP requests it makes. */
  client(user: TestUser, opts: { maxRetries?: number } = {}): { sdk: OpenAI; attempts: () => number } {
    let attempts = 0;
    const sdk = new OpenAI({
      baseURL: this.baseUrl,
      apiKey: user.principal.accessToken,
      maxRetries: opts.maxRetries ?? 2,
      timeout: 20_000,
      fetch: (url: string | URL | Request, init?: RequestInit) => {
        attempts++;
        return fetch(url, init);
      },
    });
    return { sdk, attempts: () => attempts };
  }

  async stop(): Promise<void> {
    if (process.env.AI_TEST_LOGS) {
      console.log(this.aiGateway?.process.output().slice(-20000));
      console.log(this.gateway?.process.output().slice(-20000));
    }
    await Promise.allSettled([this.gateway?.stop(), this.aiGateway?.stop(), ...this.replicas.map((r) => r.stop())]);
    await this.amqpConnection?.close().catch(() => undefined);
    await Promise.allSettled([this.openai.stop(), this.groq.stop(), this.anthropic.stop(), this.identities.stop()]);
    if (this.redis) {
      let cursor = '0';
      do {
        const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.redisPrefix}*`, 'COUNT', 500);
        if (keys.length) await this.redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
      this.redis.disconnect();
    }
    await this.vhost?.drop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
