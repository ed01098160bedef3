import { Server, ServerCredentials, loadPackageDefinition, status, type ServerUnaryCall, type ServerWritableStream, type sendUnaryData } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { PROTO_LOADER_OPTIONS, protoFile, protoRoot } from '@aether/contracts';

interface ChatRequest {
  model: string;
  messages: { role: string; content: string }[];
}

export interface FakeAiGatewayOptions {
  /** The answer (as stream pieces when an array) to a chat request; throw { code } to fail it. */
  chat?: (req: ChatRequest) => string | string[];
  /** Vectors for an embedding request (default: a bag-of-words hash, 64 dimensions). */
  embed?: (model: string, inputs: string[]) => number[][];
}

/** A 64-dim bag-of-words vector: texts sharing words are close, texts sharing none are orthogonal-ish. */
export function bagOfWords(text: string): number[] {
  const v = new Array<number>(64).fill(0);
  for (const w of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
    let h = 0;
    for (const c of w) h = (h * 31 + c.charCodeAt(0)) >>> 0;
    v[h % 64] += 1;
  }
  return v;
}

/**
 * ai-gateway as rag sees it: AiGatewayService of proto/aether/ai_gateway/v1 on a real gRPC
 * server (the real wire protocol and messages), with scripted answers. Records every call.
 */
export class FakeAiGateway {
  readonly chats: { req: ChatRequest; stream: boolean; authorization?: string }[] = [];
  readonly embeddings: { model: string; inputs: string[] }[] = [];
  private server?: Server;
  port = 0;

  constructor(public options: FakeAiGatewayOptions = {}) {}

  get url(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    const def = loadSync(protoFile('ai-gateway'), { ...PROTO_LOADER_OPTIONS, includeDirs: [protoRoot()] });
    const pkg = loadPackageDefinition(def) as unknown as { aether: { ai_gateway: { v1: { AiGatewayService: { service: never } } } } };
    const server = new Server();
    const answer = (req: ChatRequest) => {
      const out = (this.options.chat ?? (() => 'I do not know.'))(req);
      return Array.isArray(out) ? out : [out];
    };
    const usage = { promptTokens: 1, completionTokens: 1, totalTokens: 2, costUsd: 0, latencyMs: 1, provider: 'fake', model: 'fake/chat', cacheHit: false };
    server.addService(pkg.aether.ai_gateway.v1.AiGatewayService.service, {
      ChatCompletion: (call: ServerUnaryCall<ChatRequest, unknown>, cb: sendUnaryData<unknown>) => {
        this.chats.push({ req: call.request, stream: false, authorization: call.metadata.get('authorization')[0] as string });
        try {
          const text = answer(call.request).join('');
          cb(null, { id: 'c1', model: 'fake/chat', createdAt: new Date().toISOString(), message: { role: 'assistant', content: text }, finishReason: 'stop', usage });
        } catch (err) {
          cb({ code: (err as { code?: number }).code ?? status.UNAVAILABLE, details: 'scripted failure' } as never, null);
        }
      },
      StreamChatCompletion: (call: ServerWritableStream<ChatRequest, unknown>) => {
        this.chats.push({ req: call.request, stream: true, authorization: call.metadata.get('authorization')[0] as string });
        try {
          const pieces = answer(call.request);
          pieces.forEach((content, i) => call.write({ id: 'c1', model: 'fake/chat', createdAt: '', role: i === 0 ? 'assistant' : '', content, finishReason: '' }));
          call.write({ id: 'c1', model: 'fake/chat', createdAt: '', content: '', finishReason: 'stop', usage });
          call.end();
        } catch (err) {
          // grpc-js sends a server stream's error status when the stream emits 'error'.
          call.emit('error', { code: (err as { code?: number }).code ?? status.UNAVAILABLE, details: 'scripted failure' });
        }
      },
      CreateEmbeddings: (call: ServerUnaryCall<{ model: string; inputs: string[] }, unknown>, cb: sendUnaryData<unknown>) => {
        this.embeddings.push({ model: call.request.model, inputs: call.request.inputs });
        const vectors = (this.options.embed ?? ((_m, inputs) => inputs.map(bagOfWords)))(call.request.model, call.request.inputs);
        cb(null, { model: call.request.model, embeddings: vectors.map((vector, index) => ({ index, vector })), usage });
      },
      ListModels: (_call: unknown, cb: sendUnaryData<unknown>) => cb(null, { items: [] }),
    });
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
    );
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    await new Promise<void>((r) => s.tryShutdown(() => r()));
    s.forceShutdown();
  }
}
