// What the review, assist and gateway tests of code-assistant share: real PostgreSQL and
// RabbitMQ (temp database and vhost), a real ai-gateway process (dist/: build first) in front of
// a fake OpenAI speaking its wire protocol, and a gRPC client of CodeAssistantService.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, loadPackageDefinition, type Client, type Metadata, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import amqp from 'amqplib';
import Redis from 'ioredis';
import type { Role } from '@aether/auth';
import { PROTO_LOADER_OPTIONS, protoFile, protoRoot } from '@aether/contracts';
import { readGrpcError } from '@aether/service-kit';
import {
  createTempDatabase,
  createTempVhost,
  FakeOpenAi,
  startApp,
  startTestService,
  TEST_REDIS_URL,
  TestIdentities,
  uniqueName,
  waitFor,
  type FakeLlmStep,
  type StartedApp,
  type TempResource,
  type TestService,
  type TestUser,
} from '@aether/testing';
import { codeAssistantService } from '../src/service';

export const MODEL = 'openai/code-model';
const OPENAI_KEY = 'sk-fake-code-assistant';

export interface SeenEvent {
  type: string;
  subject: string;
  data: Record<string, any>;
}

type Unary = (req: unknown, md: Metadata, options: object, cb: (err: ServiceError | null, res: unknown) => void) => void;

/** A plain grpc-js client of CodeAssistantService (what the gateway's kit client does, minus Nest). */
export function codeClient(address: string) {
  const def = loadSync(protoFile('code-assistant'), { ...PROTO_LOADER_OPTIONS, includeDirs: [protoRoot()] });
  const pkg = loadPackageDefinition(def) as unknown as {
    aether: { code_assistant: { v1: { CodeAssistantService: new (addr: string, creds: ReturnType<typeof credentials.createInsecure>, options?: object) => Client } } };
  };
  const client = new pkg.aether.code_assistant.v1.CodeAssistantService(address, credentials.createInsecure(), { 'grpc.max_send_message_length': 64 * 1024 * 1024 });
  const call = <T = Record<string, any>>(method: string, req: unknown, md: Metadata): Promise<T> =>
    new Promise((resolve, reject) =>
      (client as unknown as Record<string, Unary>)[method].call(client, req, md, { deadline: Date.now() + 60_000 }, (err, res) => (err ? reject(err) : resolve(res as T))),
    );
  /** The error of a call that must fail, as the gateway reads it (status, code, field violations). */
  const failure = async (method: string, req: unknown, md: Metadata) => {
    try {
      await call(method, req, md);
    } catch (err) {
      return { ...readGrpcError(err), details: (err as ServiceError).details };
    }
    throw new Error(`${method} succeeded`);
  };
  return { call, failure, close: () => client.close() };
}

/**
 * The stores and peers of one test file, and code-assistant's production definition on them
 * (in process; `startProcess` runs it from dist/ for the gateway tests).
 */
export class CodePlatform {
  readonly identities = new TestIdentities();
  readonly openai = new FakeOpenAi(OPENAI_KEY);
  readonly events: SeenEvent[] = [];
  readonly redisPrefix = `${uniqueName('code_ai')}:`;
  db!: TempResource;
  vhost!: TempResource;
  aiGateway!: StartedApp;
  service?: TestService;
  private dir = mkdtempSync(join(tmpdir(), 'code-assistant-'));
  private amqpConnection?: amqp.ChannelModel;

  async start(opts: { inProcess?: boolean; env?: Record<string, string> } = {}): Promise<this> {
    [this.db, this.vhost] = await Promise.all([createTempDatabase('code_assistant'), createTempVhost('code_assistant'), this.identities.start(), this.openai.start()]);
    const config = join(this.dir, 'ai-gateway.yaml');
    writeFileSync(
      config,
      `providers:
  openai: { kind: openai, baseUrl: ${this.openai.baseUrl}, apiKeyEnv: TEST_OPENAI_KEY }
models:
  ${MODEL}: { inputPerMTok: 0.15, outputPerMTok: 0.60, contextWindow: 128000 }
aliases: {}
limits:
  developer: { usdPerDay: 1000, tokensPerMinute: 10000000, requestsPerMinute: 100000 }
  admin: { usdPerDay: 1000, tokensPerMinute: 10000000, requestsPerMinute: 100000 }
cache: { ttlSeconds: 0 }
`,
    );
    await this.collectEvents();
    this.aiGateway = await startApp('ai-gateway', {
      AI_GATEWAY_CONFIG: config,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: this.redisPrefix,
      RABBITMQ_URL: this.vhost.url,
      AUTH_JWKS_URL: this.identities.jwksUrl,
      TEST_OPENAI_KEY: OPENAI_KEY,
      AI_RETRY_BASE_DELAY_MS: '10',
      AI_MAX_RETRIES: '0',
    });
    if (opts.inProcess !== false) {
      this.service = await startTestService(codeAssistantService, { grpc: true, env: this.env(opts.env) });
    }
    return this;
  }

  /** code-assistant's environment on these stores and this ai-gateway. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      DATABASE_URL: this.db.url,
      RABBITMQ_URL: this.vhost.url,
      AUTH_JWKS_URL: this.identities.jwksUrl,
      AI_GATEWAY_GRPC_URL: this.aiGateway.grpcAddress,
      CODE_ASSISTANT_MODEL: MODEL,
      CODE_ASSISTANT_MODEL_TIMEOUT_MS: '8000',
      ...extra,
    };
  }

  get grpcAddress(): string {
    return `127.0.0.1:${this.service!.grpcPort}`;
  }

  user(role: Role = 'developer'): Promise<TestUser> {
    return this.identities.user(role);
  }

  /** What the fake model answers next (steps in order; the last one repeats). */
  script(...steps: FakeLlmStep[]): void {
    // The provider sees its own model id (ai-gateway strips the provider prefix).
    this.openai.script(MODEL.slice(MODEL.indexOf('/') + 1), ...steps);
  }

  /** The chat requests the fake model received since `from` (an index into its requests). */
  chats(from = 0): { messages: { role: string; content: string }[]; response_format?: unknown }[] {
    return this.openai.requests.slice(from).filter((r) => r.path === '/v1/chat/completions').map((r) => r.body as never);
  }

  private async collectEvents(): Promise<void> {
    const conn = await amqp.connect(this.vhost.url);
    this.amqpConnection = conn;
    const ch = await conn.createChannel();
    await ch.assertExchange('aether.events', 'topic', { durable: true });
    const q = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(q.queue, 'aether.events', 'code-assistant.#');
    await ch.consume(q.queue, (msg) => {
      if (!msg) return;
      const e = JSON.parse(msg.content.toString('utf8'));
      this.events.push({ type: e.type, subject: e.subject, data: e.data });
      ch.ack(msg);
    });
  }

  /** Waits for an event matching `match` (the outbox relays after the commit). */
  async event(type: string, match: (e: SeenEvent) => boolean = () => true): Promise<SeenEvent> {
    let found: SeenEvent | undefined;
    await waitFor(() => (found = this.events.find((e) => e.type === type && match(e))) !== undefined, { timeoutMs: 15_000, what: `a ${type} event` });
    return found!;
  }

  async stop(): Promise<void> {
    await this.service?.close();
    await this.aiGateway?.stop();
    await this.amqpConnection?.close().catch(() => undefined);
    await Promise.allSettled([this.openai.stop(), this.identities.stop()]);
    const redis = new Redis(TEST_REDIS_URL);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${this.redisPrefix}*`, 'COUNT', 500);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    redis.disconnect();
    await Promise.allSettled([this.db?.drop(), this.vhost?.drop()]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A fake model reply holding `json` (as the model writes it). */
export const reply = (json: unknown): FakeLlmStep => ({ kind: 'reply', text: JSON.stringify(json) });
