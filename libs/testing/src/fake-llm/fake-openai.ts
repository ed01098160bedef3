import type { IncomingMessage, ServerResponse } from 'node:http';
import { fakeLlmChunks, fakeLlmDelay, FakeLlmServer, type FakeLlmStep, type RecordedRequest } from './fake-llm-server';

/**
 * A stand-in for OpenAI (or any OpenAI-compatible API) speaking its wire protocol:
 * POST /v1/chat/completions (JSON, or SSE `data: {chat.completion.chunk}` … `data: [DONE]`
 * with the usage chunk when stream_options.include_usage), POST /v1/embeddings, and OpenAI's
 * error bodies `{error:{message,type,param,code}}` with x-request-id and retry-after headers.
 */
export class FakeOpenAi extends FakeLlmServer {
  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  private writeError(res: ServerResponse, s: Extract<FakeLlmStep, { kind: 'error' }>): void {
    const type = s.type ?? (s.status === 429 ? 'rate_limit_error' : s.status >= 500 ? 'server_error' : 'invalid_request_error');
    res.writeHead(s.status, { 'content-type': 'application/json', 'x-request-id': 'req_fake', ...s.headers });
    res.end(JSON.stringify({ error: { message: s.message ?? `fake error ${s.status}`, type, param: null, code: s.code ?? null } }));
  }

  protected async handle(req: IncomingMessage, res: ServerResponse, rec: RecordedRequest): Promise<void> {
    if (req.headers.authorization !== `Bearer ${this.apiKey}`) {
      return this.writeError(res, { kind: 'error', status: 401, message: 'Incorrect API key provided', code: 'invalid_api_key', type: 'invalid_request_error' });
    }
    if (rec.path === '/v1/embeddings') return this.embeddings(res, rec);
    if (rec.path !== '/v1/chat/completions') return this.writeError(res, { kind: 'error', status: 404, message: 'Unknown path' });
    const body = rec.body;
    await this.apply(this.nextStep(String(body.model)), res, (s) => (body.stream ? this.stream(res, body, s) : this.json(res, body, s)), (s) => this.writeError(res, s));
  }

  private async json(res: ServerResponse, body: Record<string, any>, s: Extract<FakeLlmStep, { kind: 'reply' }>): Promise<void> {
    if (s.firstChunkDelayMs) await fakeLlmDelay(s.firstChunkDelayMs);
    const text = s.text ?? '';
    const message: Record<string, unknown> = { role: 'assistant', content: s.toolCalls ? null : text, refusal: null };
    if (s.toolCalls) message.tool_calls = s.toolCalls.map((t) => ({ id: t.id, type: 'function', function: { name: t.name, arguments: t.arguments } }));
    const usage = s.usage ?? { prompt: 11, completion: fakeLlmChunks(text).length || 1 };
    res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req_fake' });
    res.end(
      JSON.stringify({
        id: 'chatcmpl-fake',
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [{ index: 0, message, logprobs: null, finish_reason: s.finishReason ?? (s.toolCalls ? 'tool_calls' : 'stop') }],
        usage: { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion },
      }),
    );
  }

  private async stream(res: ServerResponse, body: Record<string, any>, s: Extract<FakeLlmStep, { kind: 'reply' }>): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-request-id': 'req_fake' });
    const base = { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: body.model, system_fingerprint: null };
    const send = (choices: unknown[], extra: Record<string, unknown> = {}) => res.write(`data: ${JSON.stringify({ ...base, choices, ...extra })}\n\n`);
    if (s.firstChunkDelayMs) await fakeLlmDelay(s.firstChunkDelayMs);
    send([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]);
    const pieces = fakeLlmChunks(s.text ?? '');
    for (const [i, piece] of pieces.entries()) {
      if (s.chunkDelayMs) await fakeLlmDelay(s.chunkDelayMs);
      if (s.failAfterChunks !== undefined && i >= s.failAfterChunks) {
        res.socket?.destroy(); // the connection drops mid-stream
        return;
      }
      if (res.destroyed) return;
      send([{ index: 0, delta: { content: piece }, logprobs: null, finish_reason: null }]);
    }
    for (const [index, t] of (s.toolCalls ?? []).entries()) {
      send([{ index: 0, delta: { tool_calls: [{ index, id: t.id, type: 'function', function: { name: t.name, arguments: '' } }] }, logprobs: null, finish_reason: null }]);
      for (const piece of fakeLlmChunks(t.arguments)) {
        send([{ index: 0, delta: { tool_calls: [{ index, function: { arguments: piece } }] }, logprobs: null, finish_reason: null }]);
      }
    }
    send([{ index: 0, delta: {}, logprobs: null, finish_reason: s.finishReason ?? (s.toolCalls ? 'tool_calls' : 'stop') }]);
    if (body.stream_options?.include_usage) {
      const usage = s.usage ?? { prompt: 11, completion: pieces.length || 1 };
      send([], { usage: { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion } });
    }
    res.end('data: [DONE]\n\n');
  }

  private embeddings(res: ServerResponse, rec: RecordedRequest): void {
    const inputs: string[] = Array.isArray(rec.body.input) ? rec.body.input : [rec.body.input];
    const step = this.nextStep(String(rec.body.model));
    if (step.kind === 'error') return this.writeError(res, step);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        object: 'list',
        data: inputs.map((text, index) => ({ object: 'embedding', index, embedding: fakeVector(text) })),
        model: rec.body.model,
        usage: { prompt_tokens: inputs.length * 3, total_tokens: inputs.length * 3 },
      }),
    );
  }
}

/** A deterministic 8-dimensional vector per text (values exactly representable in float32). */
export function fakeVector(text: string): number[] {
  return Array.from({ length: 8 }, (_, i) => ((text.charCodeAt(i % text.length) + i) % 16) / 16 - 0.5);
}
