import type { IncomingMessage, ServerResponse } from 'node:http';
import { fakeLlmChunks, fakeLlmDelay, FakeLlmServer, type FakeLlmStep, type RecordedRequest } from './fake-llm-server';

/**
 * A stand-in for Anthropic's Messages API (POST /v1/messages, x-api-key + anthropic-version):
 * JSON messages with text and tool_use blocks, stop_reason and usage; streams as its SSE
 * events (message_start, content_block_start/delta/stop with text_delta and input_json_delta,
 * ping, message_delta with stop_reason and usage, message_stop); errors as
 * `{type:"error", error:{type, message}}` (429 rate_limit_error, 529 overloaded_error, ...).
 */
export class FakeAnthropic extends FakeLlmServer {
  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private writeError(res: ServerResponse, s: Extract<FakeLlmStep, { kind: 'error' }>): void {
    const type =
      s.type ?? (s.status === 429 ? 'rate_limit_error' : s.status === 529 ? 'overloaded_error' : s.status >= 500 ? 'api_error' : s.status === 401 ? 'authentication_error' : 'invalid_request_error');
    res.writeHead(s.status, { 'content-type': 'application/json', 'request-id': 'req_fake', ...s.headers });
    res.end(JSON.stringify({ type: 'error', error: { type, message: s.message ?? `fake error ${s.status}` } }));
  }

  protected async handle(req: IncomingMessage, res: ServerResponse, rec: RecordedRequest): Promise<void> {
    if (req.headers['x-api-key'] !== this.apiKey) return this.writeError(res, { kind: 'error', status: 401, message: 'invalid x-api-key' });
    if (!req.headers['anthropic-version']) return this.writeError(res, { kind: 'error', status: 400, message: 'anthropic-version header is required' });
    if (rec.path !== '/v1/messages') return this.writeError(res, { kind: 'error', status: 404, message: 'Not found', type: 'not_found_error' });
    if (typeof rec.body.max_tokens !== 'number') return this.writeError(res, { kind: 'error', status: 400, message: 'max_tokens: Field required' });
    const body = rec.body;
    await this.apply(this.nextStep(String(body.model)), res, async (s) => (body.stream ? this.stream(res, body, s) : this.json(res, body, s)), (s) => this.writeError(res, s));
  }

  private stopReason(s: Extract<FakeLlmStep, { kind: 'reply' }>): string {
    return s.finishReason ?? (s.toolCalls ? 'tool_use' : 'end_turn');
  }

  private json(res: ServerResponse, body: Record<string, any>, s: Extract<FakeLlmStep, { kind: 'reply' }>): void {
    const content: unknown[] = [];
    if (s.text) content.push({ type: 'text', text: s.text });
    for (const t of s.toolCalls ?? []) content.push({ type: 'tool_use', id: t.id, name: t.name, input: JSON.parse(t.arguments) });
    const usage = s.usage ?? { prompt: 21, completion: 7 };
    res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_fake' });
    res.end(
      JSON.stringify({
        id: 'msg_fake',
        type: 'message',
        role: 'assistant',
        model: body.model,
        content,
        stop_reason: this.stopReason(s),
        stop_sequence: null,
        usage: { input_tokens: usage.prompt, output_tokens: usage.completion },
      }),
    );
  }

  private async stream(res: ServerResponse, body: Record<string, any>, s: Extract<FakeLlmStep, { kind: 'reply' }>): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': 'req_fake' });
    const send = (event: string, data: Record<string, unknown>) => res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`);
    const usage = s.usage ?? { prompt: 21, completion: 7 };
    if (s.firstChunkDelayMs) await fakeLlmDelay(s.firstChunkDelayMs);
    send('message_start', {
      message: { id: 'msg_fake', type: 'message', role: 'assistant', model: body.model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: usage.prompt, output_tokens: 1 } },
    });
    let index = 0;
    if (s.text) {
      send('content_block_start', { index, content_block: { type: 'text', text: '' } });
      send('ping', {});
      for (const [i, piece] of fakeLlmChunks(s.text).entries()) {
        if (s.chunkDelayMs) await fakeLlmDelay(s.chunkDelayMs);
        if (s.failAfterChunks !== undefined && i >= s.failAfterChunks) {
          send('error', { error: { type: 'overloaded_error', message: 'Overloaded' } });
          res.end();
          return;
        }
        if (res.destroyed) return;
        send('content_block_delta', { index, delta: { type: 'text_delta', text: piece } });
      }
      send('content_block_stop', { index });
      index++;
    }
    for (const t of s.toolCalls ?? []) {
      send('content_block_start', { index, content_block: { type: 'tool_use', id: t.id, name: t.name, input: {} } });
      for (const piece of fakeLlmChunks(t.arguments)) send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: piece } });
      send('content_block_stop', { index });
      index++;
    }
    send('message_delta', { delta: { stop_reason: this.stopReason(s), stop_sequence: null }, usage: { output_tokens: usage.completion } });
    send('message_stop', {});
    res.end();
  }
}
