import type { aiGatewayV1 } from '@aether/contracts';
import type { ProviderConfig } from '../config/gateway-config';
import { parseJsonObject, ProviderHttp, readJson, readSse } from './http-transport';
import type { CallOptions, ChatProvider, CompletionResult, EmbeddingResult, StreamDelta, TokenUsage } from './provider';
import { ProviderError } from './provider-error';

type Json = Record<string, unknown>;

/** OpenAI's error body `{error:{message,type,param,code}}` (Groq, vLLM, Ollama and Gemini use it too). */
export function readOpenAiError(status: number, text: string): { message: string; code?: string; param?: string } {
  const body = parseJsonObject(text);
  const error = body?.error;
  if (error && typeof error === 'object') {
    const e = error as Json;
    return {
      message: typeof e.message === 'string' ? e.message : `HTTP ${status}`,
      code: typeof e.code === 'string' ? e.code : undefined,
      param: typeof e.param === 'string' ? e.param : undefined,
    };
  }
  if (typeof error === 'string') return { message: error };
  return { message: text.trim().slice(0, 200) || `HTTP ${status}` };
}

export function parseJsonText(text: string, what: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ProviderError('bad_request', `${what} is not valid JSON`, 400, undefined, what);
  }
}

/** The request body of OpenAI's chat completions API for a proto request. */
export function openAiChatBody(model: string, r: aiGatewayV1.ChatCompletionRequest, stream: boolean): Json {
  const body: Json = {
    model,
    messages: r.messages.map((m) => {
      const out: Json = { role: m.role, content: m.content === '' && m.toolCalls.length > 0 ? null : m.content };
      if (m.name) out.name = m.name;
      if (m.toolCallId) out.tool_call_id = m.toolCallId;
      if (m.toolCalls.length > 0) {
        out.tool_calls = m.toolCalls.map((t) => ({ id: t.id, type: 'function', function: { name: t.name, arguments: t.arguments } }));
      }
      return out;
    }),
  };
  if (r.temperature !== undefined) body.temperature = r.temperature;
  if (r.topP !== undefined) body.top_p = r.topP;
  if (r.maxTokens !== undefined) body.max_tokens = r.maxTokens;
  if (r.stop.length > 0) body.stop = r.stop;
  if (r.tools.length > 0) {
    body.tools = r.tools.map((t) => ({
      type: 'function',
      function: { name: t.name, ...(t.description ? { description: t.description } : {}), ...(t.parametersJson ? { parameters: parseJsonText(t.parametersJson, 'tools.parameters') } : {}) },
    }));
  }
  if (r.toolChoiceJson) body.tool_choice = parseJsonText(r.toolChoiceJson, 'tool_choice');
  if (r.responseFormatJson) body.response_format = parseJsonText(r.responseFormatJson, 'response_format');
  if (r.user) body.user = r.user;
  if (stream) {
    body.stream = true;
    // Ask for the usage chunk always: the gateway records tokens even when the client did not ask.
    body.stream_options = { include_usage: true };
  }
  return body;
}

function usageOf(raw: unknown): TokenUsage | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const u = raw as Json;
  const prompt = Number(u.prompt_tokens);
  const completion = Number(u.completion_tokens);
  if (!Number.isFinite(prompt) && !Number.isFinite(completion)) return undefined;
  return { promptTokens: Number.isFinite(prompt) ? prompt : 0, completionTokens: Number.isFinite(completion) ? completion : 0 };
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Any OpenAI-compatible API: OpenAI, Groq, Gemini's /v1beta/openai, Ollama, vLLM, LM Studio... */
export class OpenAiProvider implements ChatProvider {
  constructor(
    readonly config: ProviderConfig,
    private readonly http: ProviderHttp,
    private readonly apiKey: string | undefined,
  ) {}

  private headers(): Record<string, string> {
    return this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {};
  }

  async complete(model: string, request: aiGatewayV1.ChatCompletionRequest, opts: CallOptions): Promise<CompletionResult> {
    const answer = await this.http.postJson(`${this.config.baseUrl}/chat/completions`, this.headers(), openAiChatBody(model, request, false), opts, readOpenAiError);
    const body = await readJson(answer);
    const choice = Array.isArray(body.choices) ? (body.choices[0] as Json | undefined) : undefined;
    if (!choice) throw new ProviderError('server', 'the provider answered no choices', answer.status);
    const message = (choice.message ?? {}) as Json;
    const toolCalls = Array.isArray(message.tool_calls) ? (message.tool_calls as Json[]) : [];
    return {
      id: str(body.id) || undefined,
      message: {
        role: 'assistant',
        content: str(message.content),
        name: '',
        toolCallId: '',
        toolCalls: toolCalls.map((t) => {
          const fn = (t.function ?? {}) as Json;
          return { id: str(t.id), name: str(fn.name), arguments: str(fn.arguments) };
        }),
      },
      finishReason: str(choice.finish_reason) || 'stop',
      usage: usageOf(body.usage),
    };
  }

  async *stream(model: string, request: aiGatewayV1.ChatCompletionRequest, opts: CallOptions): AsyncGenerator<StreamDelta> {
    const answer = await this.http.postJson(`${this.config.baseUrl}/chat/completions`, this.headers(), openAiChatBody(model, request, true), opts, readOpenAiError);
    for await (const { data } of readSse(answer.body, opts.onProgress)) {
      if (data === '[DONE]') return;
      const chunk = parseJsonObject(data);
      if (!chunk) throw new ProviderError('server', 'the provider sent an event that is not JSON');
      if (chunk.error) {
        const e = readOpenAiError(500, data);
        throw new ProviderError('server', `stream error: ${e.message}`.slice(0, 500));
      }
      const usage = usageOf(chunk.usage);
      const choice = Array.isArray(chunk.choices) ? (chunk.choices[0] as Json | undefined) : undefined;
      const delta = (choice?.delta ?? {}) as Json;
      const out: StreamDelta = {};
      if (typeof delta.content === 'string' && delta.content !== '') out.content = delta.content;
      if (Array.isArray(delta.tool_calls)) {
        out.toolCalls = (delta.tool_calls as Json[]).map((t, i) => {
          const fn = (t.function ?? {}) as Json;
          return { index: typeof t.index === 'number' ? t.index : i, id: str(t.id), name: str(fn.name), arguments: str(fn.arguments) };
        });
      }
      if (choice && typeof choice.finish_reason === 'string' && choice.finish_reason) out.finishReason = choice.finish_reason;
      if (usage) out.usage = usage;
      if (out.content !== undefined || out.toolCalls || out.finishReason || out.usage) yield out;
    }
  }

  async embed(model: string, inputs: string[], user: string, opts: CallOptions): Promise<EmbeddingResult> {
    const body: Json = { model, input: inputs, encoding_format: 'float' };
    if (user) body.user = user;
    const answer = await this.http.postJson(`${this.config.baseUrl}/embeddings`, this.headers(), body, opts, readOpenAiError);
    const json = await readJson(answer);
    const data = Array.isArray(json.data) ? (json.data as Json[]) : [];
    const vectors: number[][] = new Array(inputs.length);
    for (const [i, d] of data.entries()) {
      const index = typeof d.index === 'number' ? d.index : i;
      if (!Array.isArray(d.embedding) || index < 0 || index >= inputs.length) throw new ProviderError('server', 'the provider answered a malformed embedding');
      vectors[index] = d.embedding as number[];
    }
    if (vectors.some((v) => !v) || data.length !== inputs.length) throw new ProviderError('server', 'the provider answered fewer embeddings than inputs');
    return { vectors, promptTokens: usageOf(json.usage)?.promptTokens };
  }
}
