import type { aiGatewayV1 } from '@aether/contracts';
import type { ProviderConfig } from '../config/gateway-config';
import { parseJsonObject, ProviderHttp, readJson, readSse } from './http-transport';
import { parseJsonText } from './openai.provider';
import type { CallOptions, ChatProvider, CompletionResult, EmbeddingResult, StreamDelta } from './provider';
import { ProviderError } from './provider-error';

type Json = Record<string, unknown>;

export const ANTHROPIC_VERSION = '2023-06-01';
/** Anthropic requires max_tokens; this is what a request that sets none gets. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

/** Anthropic's error body `{type:"error", error:{type, message}}`. */
export function readAnthropicError(status: number, text: string): { message: string; code?: string } {
  const body = parseJsonObject(text);
  const error = body?.error as Json | undefined;
  if (error && typeof error === 'object') {
    return { message: typeof error.message === 'string' ? error.message : `HTTP ${status}`, code: typeof error.type === 'string' ? error.type : undefined };
  }
  return { message: text.trim().slice(0, 200) || `HTTP ${status}` };
}

/** Anthropic stop_reason → OpenAI finish_reason. */
export function finishReasonOf(stopReason: unknown): string {
  switch (stopReason) {
    case 'max_tokens':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop'; // end_turn, stop_sequence, pause_turn
  }
}

function toolChoiceOf(json: string): Json | undefined {
  const choice = parseJsonText(json, 'tool_choice');
  if (choice === 'auto') return { type: 'auto' };
  if (choice === 'none') return { type: 'none' };
  if (choice === 'required') return { type: 'any' };
  if (choice && typeof choice === 'object') {
    const fn = (choice as Json).function as Json | undefined;
    if (fn && typeof fn.name === 'string') return { type: 'tool', name: fn.name };
  }
  throw new ProviderError('bad_request', 'tool_choice must be "auto", "none", "required" or {type:"function", function:{name}}', 400, undefined, 'tool_choice');
}

/**
 * OpenAI chat messages → Anthropic Messages: system/developer messages become `system`, an
 * assistant's tool_calls become `tool_use` blocks, tool messages become `tool_result` blocks of
 * a user turn (consecutive ones merged, as Anthropic requires alternating turns).
 */
export function anthropicBody(model: string, r: aiGatewayV1.ChatCompletionRequest, stream: boolean): Json {
  const system: string[] = [];
  const messages: Array<{ role: 'user' | 'assistant'; content: Json[] }> = [];
  const push = (role: 'user' | 'assistant', blocks: Json[]) => {
    const last = messages[messages.length - 1];
    if (last && last.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  for (const m of r.messages) {
    if (m.role === 'system' || m.role === 'developer') {
      system.push(m.content);
    } else if (m.role === 'tool') {
      push('user', [{ type: 'tool_result', tool_use_id: m.toolCallId, content: m.content }]);
    } else if (m.role === 'assistant') {
      const blocks: Json[] = m.content ? [{ type: 'text', text: m.content }] : [];
      for (const call of m.toolCalls) {
        let input: unknown;
        try {
          input = call.arguments ? JSON.parse(call.arguments) : {};
        } catch {
          throw new ProviderError('bad_request', `the arguments of tool call ${call.id} are not valid JSON`, 400, undefined, 'messages');
        }
        blocks.push({ type: 'tool_use', id: call.id, name: call.name, input });
      }
      push('assistant', blocks);
    } else {
      push('user', [{ type: 'text', text: m.content }]);
    }
  }
  const body: Json = { model, max_tokens: r.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS, messages };
  if (system.length > 0) body.system = system.join('\n\n');
  if (r.temperature !== undefined) body.temperature = Math.min(1, r.temperature); // Anthropic's range is 0..1
  if (r.topP !== undefined) body.top_p = r.topP;
  if (r.stop.length > 0) body.stop_sequences = r.stop;
  if (r.tools.length > 0) {
    body.tools = r.tools.map((t) => ({
      name: t.name,
      ...(t.description ? { description: t.description } : {}),
      input_schema: t.parametersJson ? parseJsonText(t.parametersJson, 'tools.parameters') : { type: 'object', properties: {} },
    }));
  }
  if (r.toolChoiceJson) {
    const choice = toolChoiceOf(r.toolChoiceJson);
    if (choice?.type === 'none') delete body.tools;
    else if (choice) body.tool_choice = choice;
  }
  if (r.user) body.metadata = { user_id: r.user.slice(0, 256) };
  if (stream) body.stream = true;
  return body;
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** Anthropic's native Messages API, mapped both ways to OpenAI's chat shapes. */
export class AnthropicProvider implements ChatProvider {
  constructor(
    readonly config: ProviderConfig,
    private readonly http: ProviderHttp,
    private readonly apiKey: string | undefined,
  ) {}

  private headers(): Record<string, string> {
    return { 'anthropic-version': ANTHROPIC_VERSION, ...(this.apiKey ? { 'x-api-key': this.apiKey } : {}) };
  }

  private url(): string {
    return `${this.config.baseUrl}/v1/messages`;
  }

  async complete(model: string, request: aiGatewayV1.ChatCompletionRequest, opts: CallOptions): Promise<CompletionResult> {
    const answer = await this.http.postJson(this.url(), this.headers(), anthropicBody(model, request, false), opts, readAnthropicError);
    const body = await readJson(answer);
    const blocks = Array.isArray(body.content) ? (body.content as Json[]) : [];
    const text = blocks.filter((b) => b.type === 'text').map((b) => String(b.text ?? '')).join('');
    const toolCalls = blocks
      .filter((b) => b.type === 'tool_use')
      .map((b) => ({ id: String(b.id ?? ''), name: String(b.name ?? ''), arguments: JSON.stringify(b.input ?? {}) }));
    const usage = (body.usage ?? {}) as Json;
    return {
      id: typeof body.id === 'string' ? body.id : undefined,
      message: { role: 'assistant', content: text, name: '', toolCallId: '', toolCalls },
      finishReason: finishReasonOf(body.stop_reason),
      usage: { promptTokens: num(usage.input_tokens) + num(usage.cache_read_input_tokens) + num(usage.cache_creation_input_tokens), completionTokens: num(usage.output_tokens) },
    };
  }

  /** message_start … message_stop → OpenAI chunk deltas (text, tool call fragments, finish, usage). */
  async *stream(model: string, request: aiGatewayV1.ChatCompletionRequest, opts: CallOptions): AsyncGenerator<StreamDelta> {
    const answer = await this.http.postJson(this.url(), this.headers(), anthropicBody(model, request, true), opts, readAnthropicError);
    let promptTokens = 0;
    let completionTokens = 0;
    let finishReason = '';
    // Anthropic numbers content blocks (text and tool_use together); OpenAI numbers tool calls only.
    const toolIndexOfBlock = new Map<number, number>();
    for await (const { event, data } of readSse(answer.body, opts.onProgress)) {
      const e = parseJsonObject(data);
      if (!e) throw new ProviderError('server', `the provider sent a "${event}" event that is not JSON`);
      const type = typeof e.type === 'string' ? e.type : event;
      switch (type) {
        case 'message_start': {
          const usage = ((e.message as Json | undefined)?.usage ?? {}) as Json;
          promptTokens = num(usage.input_tokens) + num(usage.cache_read_input_tokens) + num(usage.cache_creation_input_tokens);
          completionTokens = num(usage.output_tokens);
          break;
        }
        case 'content_block_start': {
          const block = (e.content_block ?? {}) as Json;
          if (block.type === 'tool_use') {
            const index = toolIndexOfBlock.size;
            toolIndexOfBlock.set(num(e.index), index);
            yield { toolCalls: [{ index, id: String(block.id ?? ''), name: String(block.name ?? ''), arguments: '' }] };
          } else if (block.type === 'text' && typeof block.text === 'string' && block.text) {
            yield { content: block.text };
          }
          break;
        }
        case 'content_block_delta': {
          const delta = (e.delta ?? {}) as Json;
          if (delta.type === 'text_delta' && typeof delta.text === 'string') {
            if (delta.text) yield { content: delta.text };
          } else if (delta.type === 'input_json_delta' && typeof delta.partial_json === 'string') {
            const index = toolIndexOfBlock.get(num(e.index));
            if (index !== undefined && delta.partial_json) yield { toolCalls: [{ index, id: '', name: '', arguments: delta.partial_json }] };
          }
          break;
        }
        case 'message_delta': {
          const delta = (e.delta ?? {}) as Json;
          if (delta.stop_reason) finishReason = finishReasonOf(delta.stop_reason);
          const usage = (e.usage ?? {}) as Json;
          if (typeof usage.output_tokens === 'number') completionTokens = usage.output_tokens;
          if (typeof usage.input_tokens === 'number' && usage.input_tokens > 0) promptTokens = usage.input_tokens;
          break;
        }
        case 'message_stop':
          yield { finishReason: finishReason || 'stop', usage: { promptTokens, completionTokens } };
          return;
        case 'error': {
          const err = (e.error ?? {}) as Json;
          const kind = err.type === 'overloaded_error' || err.type === 'api_error' ? 'server' : err.type === 'rate_limit_error' ? 'rate_limited' : 'server';
          throw new ProviderError(kind, `stream error: ${String(err.message ?? err.type ?? 'unknown')}`.slice(0, 500));
        }
        default:
          break; // ping, content_block_stop, and event types added later
      }
    }
    throw new ProviderError('server', 'the stream ended before message_stop');
  }

  embed(): Promise<EmbeddingResult> {
    return Promise.reject(new ProviderError('bad_request', 'Anthropic serves no embeddings', 400, undefined, 'model'));
  }
}
