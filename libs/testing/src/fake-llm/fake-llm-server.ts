import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What a fake provider does for one request to a model (steps are consumed in order; the last
 * one repeats):
 * - reply: answers `text` (and `toolCalls`), streamed when the request asks, `chunkDelayMs`
 *   between chunks; `failAfterChunks` breaks a stream after that many content chunks.
 * - error: the provider's error body and headers with `status`.
 * - hang: accepts the request and never answers (timeouts).
 * - reset: destroys the socket without an answer.
 */
export type FakeLlmStep =
  | {
      kind: 'reply';
      text?: string;
      toolCalls?: Array<{ id: string; name: string; arguments: string }>;
      chunkDelayMs?: number;
      firstChunkDelayMs?: number;
      failAfterChunks?: number;
      usage?: { prompt: number; completion: number };
      finishReason?: string;
    }
  | { kind: 'error'; status: number; message?: string; code?: string; type?: string; headers?: Record<string, string> }
  | { kind: 'hang' }
  | { kind: 'reset' };

export interface RecordedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, any>;
  receivedAt: number;
  /** When the client closed the connection before the answer ended (a cancelled call). */
  abortedAt?: number;
}

/** Shared plumbing of the fake OpenAI and Anthropic servers: routing, scripts, recording. */
export abstract class FakeLlmServer {
  readonly requests: RecordedRequest[] = [];
  private readonly scripts = new Map<string, FakeLlmStep[]>();
  private server?: Server;
  private readonly sockets = new Set<import('node:net').Socket>();
  /** The key the fake expects (its real counterpart answers 401 without it). */
  constructor(readonly apiKey: string) {}

  script(model: string, ...steps: FakeLlmStep[]): this {
    this.scripts.set(model, steps);
    return this;
  }

  protected nextStep(model: string): FakeLlmStep {
    const steps = this.scripts.get(model);
    if (!steps || steps.length === 0) return { kind: 'reply', text: `Hello from ${model}.` };
    return steps.length > 1 ? steps.shift()! : steps[0];
  }

  requestsFor(model: string): RecordedRequest[] {
    return this.requests.filter((r) => r.body.model === model);
  }

  get port(): number {
    return (this.server!.address() as AddressInfo).port;
  }

  abstract get baseUrl(): string;

  protected abstract handle(req: IncomingMessage, res: ServerResponse, rec: RecordedRequest): Promise<void>;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        let body: Record<string, any> = {};
        try {
          body = JSON.parse(Buffer.concat(parts).toString('utf8') || '{}');
        } catch {
          body = {};
        }
        const rec: RecordedRequest = { path: req.url ?? '', headers: req.headers, body, receivedAt: Date.now() };
        this.requests.push(rec);
        res.on('close', () => {
          if (!res.writableFinished) rec.abortedAt = Date.now();
        });
        this.handle(req, res, rec).catch(() => res.destroy());
      });
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  protected async apply(step: FakeLlmStep, res: ServerResponse, onReply: (s: Extract<FakeLlmStep, { kind: 'reply' }>) => Promise<void>, writeError: (s: Extract<FakeLlmStep, { kind: 'error' }>) => void): Promise<void> {
    if (step.kind === 'hang') return; // never answers; the client's timer must fire
    if (step.kind === 'reset') {
      res.socket?.destroy();
      return;
    }
    if (step.kind === 'error') return writeError(step);
    return onReply(step);
  }
}

/** Waits `ms` (the fakes' pacing). */
export const fakeLlmDelay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Splits a text into stream chunks the way providers do (a few characters each). */
export function fakeLlmChunks(text: string): string[] {
  return text.match(/.{1,6}/gs) ?? [];
}
