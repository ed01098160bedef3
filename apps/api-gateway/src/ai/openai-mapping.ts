import type { aiGatewayV1 } from '@aether/contracts';
import { ValidationError } from '@aether/service-kit';

type Json = Record<string, unknown>;

/** An OpenAI-style 400 naming the parameter (rendered as invalid_request_error). */
export const badParam = (param: string, message: string) => new ValidationError(message, [{ field: param, message }], 'invalid_request_error');

const CHAT_FIELDS = new Set([
  'model',
  'messages',
  'temperature',
  'top_p',
  'max_tokens',
  'max_completion_tokens',
  'stop',
  'tools',
  'tool_choice',
  'response_format',
  'user',
  'stream',
  'stream_options',
  'n',
  'parallel_tool_calls',
]);
const EMBEDDING_FIELDS = new Set(['model', 'input', 'encoding_format', 'user']);
const MESSAGE_FIELDS = new Set(['role', 'content', 'name', 'tool_call_id', 'tool_calls', 'refusal']);

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function rejectUnknown(obj: Json, allowed: Set<string>, prefix: string): void {
  for (const k of Object.keys(obj)) if (!allowed.has(k)) throw badParam(`${prefix}${k}`, `Unrecognized request argument supplied: ${prefix}${k}`);
}

function optionalNumber(body: Json, key: string): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw badParam(key, `${key} must be a number`);
  return v;
}

function optionalInt(body: Json, key: string): number | undefined {
  const v = optionalNumber(body, key);
  if (v !== undefined && (!Number.isInteger(v) || v < 1 || v > 2_000_000_000)) throw badParam(key, `${key} must be a positive integer`);
  return v;
}

/** Message content: a string, null, or an array of text parts (images are not served). */
function contentText(v: unknown, at: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    return v
      .map((part, i) => {
        if (!isObject(part) || part.type !== 'text' || typeof part.text !== 'string') {
          throw badParam(`${at}[${i}]`, `${at}[${i}] must be a text part {type:"text", text}; other content types are not supported`);
        }
        return part.text;
      })
      .join('');
  }
  throw badParam(at, `${at} must be a string or an array of text parts`);
}

function toolCallsOf(v: unknown, at: string): aiGatewayV1.ToolCall[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw badParam(at, `${at} must be an array`);
  return v.map((t, i) => {
    const fn = isObject(t) ? t.function : undefined;
    if (!isObject(t) || typeof t.id !== 'string' || !isObject(fn) || typeof fn.name !== 'string') {
      throw badParam(`${at}[${i}]`, `${at}[${i}] must be {id, type:"function", function:{name, arguments}}`);
    }
    const args = fn.arguments ?? '';
    if (typeof args !== 'string') throw badParam(`${at}[${i}].function.arguments`, 'function.arguments must be a JSON string');
    return { id: t.id, name: fn.name, arguments: args };
  });
}

/** OpenAI's /v1/chat/completions body → the gRPC request (shape only; ai-gateway validates values). */
export function toChatRequest(raw: unknown): { request: aiGatewayV1.ChatCompletionRequest; stream: boolean; includeUsage: boolean } {
  if (!isObject(raw)) throw badParam('body', 'The body must be a JSON object');
  rejectUnknown(raw, CHAT_FIELDS, '');
  if (typeof raw.model !== 'string' || raw.model === '') throw badParam('model', 'you must provide a model parameter');
  if (!Array.isArray(raw.messages)) throw badParam('messages', "'messages' must be an array of messages");
  const messages = raw.messages.map((m: unknown, i: number): aiGatewayV1.ChatMessage => {
    const at = `messages[${i}]`;
    if (!isObject(m)) throw badParam(at, `${at} must be an object`);
    rejectUnknown(m, MESSAGE_FIELDS, `${at}.`);
    if (typeof m.role !== 'string') throw badParam(`${at}.role`, `${at}.role is required`);
    if (m.name !== undefined && typeof m.name !== 'string') throw badParam(`${at}.name`, `${at}.name must be a string`);
    if (m.tool_call_id !== undefined && typeof m.tool_call_id !== 'string') throw badParam(`${at}.tool_call_id`, `${at}.tool_call_id must be a string`);
    return {
      role: m.role,
      content: contentText(m.content, `${at}.content`),
      name: (m.name as string | undefined) ?? '',
      toolCallId: (m.tool_call_id as string | undefined) ?? '',
      toolCalls: toolCallsOf(m.tool_calls, `${at}.tool_calls`),
    };
  });
  let stop: string[] = [];
  if (typeof raw.stop === 'string') stop = [raw.stop];
  else if (Array.isArray(raw.stop)) {
    if (!raw.stop.every((s) => typeof s === 'string')) throw badParam('stop', 'stop must be a string or an array of strings');
    stop = raw.stop as string[];
  } else if (raw.stop !== undefined && raw.stop !== null) throw badParam('stop', 'stop must be a string or an array of strings');
  let tools: aiGatewayV1.Tool[] = [];
  if (raw.tools !== undefined && raw.tools !== null) {
    if (!Array.isArray(raw.tools)) throw badParam('tools', 'tools must be an array');
    tools = raw.tools.map((t: unknown, i: number) => {
      const fn = isObject(t) ? t.function : undefined;
      if (!isObject(t) || t.type !== 'function' || !isObject(fn) || typeof fn.name !== 'string') {
        throw badParam(`tools[${i}]`, `tools[${i}] must be {type:"function", function:{name, description?, parameters?}}`);
      }
      if (fn.description !== undefined && typeof fn.description !== 'string') throw badParam(`tools[${i}].function.description`, 'description must be a string');
      if (fn.parameters !== undefined && !isObject(fn.parameters)) throw badParam(`tools[${i}].function.parameters`, 'parameters must be a JSON Schema object');
      return { name: fn.name, description: (fn.description as string | undefined) ?? '', parametersJson: fn.parameters ? JSON.stringify(fn.parameters) : '' };
    });
  }
  if (raw.tool_choice !== undefined && raw.tool_choice !== null && typeof raw.tool_choice !== 'string' && !isObject(raw.tool_choice)) {
    throw badParam('tool_choice', 'tool_choice must be "none", "auto", "required" or an object');
  }
  if (raw.response_format !== undefined && raw.response_format !== null && !isObject(raw.response_format)) throw badParam('response_format', 'response_format must be an object');
  if (raw.user !== undefined && typeof raw.user !== 'string') throw badParam('user', 'user must be a string');
  if (raw.stream !== undefined && raw.stream !== null && typeof raw.stream !== 'boolean') throw badParam('stream', 'stream must be a boolean');
  if (raw.n !== undefined && raw.n !== null && raw.n !== 1) throw badParam('n', 'only n = 1 is supported');
  if (raw.parallel_tool_calls !== undefined && typeof raw.parallel_tool_calls !== 'boolean') throw badParam('parallel_tool_calls', 'parallel_tool_calls must be a boolean');
  let includeUsage = false;
  if (raw.stream_options !== undefined && raw.stream_options !== null) {
    if (!isObject(raw.stream_options)) throw badParam('stream_options', 'stream_options must be an object');
    rejectUnknown(raw.stream_options, new Set(['include_usage']), 'stream_options.');
    if (raw.stream_options.include_usage !== undefined && typeof raw.stream_options.include_usage !== 'boolean') {
      throw badParam('stream_options.include_usage', 'include_usage must be a boolean');
    }
    includeUsage = raw.stream_options.include_usage === true;
  }
  const maxTokens = optionalInt(raw, 'max_completion_tokens') ?? optionalInt(raw, 'max_tokens');
  return {
    request: {
      model: raw.model,
      messages,
      temperature: optionalNumber(raw, 'temperature'),
      topP: optionalNumber(raw, 'top_p'),
      maxTokens,
      stop,
      tools,
      toolChoiceJson: raw.tool_choice === undefined || raw.tool_choice === null ? '' : JSON.stringify(raw.tool_choice),
      responseFormatJson: raw.response_format ? JSON.stringify(raw.response_format) : '',
      user: (raw.user as string | undefined) ?? '',
    },
    stream: raw.stream === true,
    includeUsage,
  };
}

export function toEmbeddingsRequest(raw: unknown): { request: aiGatewayV1.CreateEmbeddingsRequest; base64: boolean } {
  if (!isObject(raw)) throw badParam('body', 'The body must be a JSON object');
  rejectUnknown(raw, EMBEDDING_FIELDS, '');
  if (typeof raw.model !== 'string' || raw.model === '') throw badParam('model', 'you must provide a model parameter');
  let inputs: string[];
  if (typeof raw.input === 'string') inputs = [raw.input];
  else if (Array.isArray(raw.input) && raw.input.every((s) => typeof s === 'string')) inputs = raw.input as string[];
  else throw badParam('input', 'input must be a string or an array of strings (token arrays are not supported)');
  const format = raw.encoding_format ?? 'float';
  if (format !== 'float' && format !== 'base64') throw badParam('encoding_format', 'encoding_format must be float or base64');
  if (raw.user !== undefined && typeof raw.user !== 'string') throw badParam('user', 'user must be a string');
  return { request: { model: raw.model, inputs, user: (raw.user as string | undefined) ?? '' }, base64: format === 'base64' };
}

const unixSeconds = (iso: string) => Math.floor((Date.parse(iso) || Date.now()) / 1000);

export function openAiUsage(u: aiGatewayV1.Usage | undefined): Json {
  const prompt = u?.promptTokens ?? 0;
  const completion = u?.completionTokens ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function openAiToolCalls(calls: aiGatewayV1.ToolCall[]): Json[] {
  return calls.map((t) => ({ id: t.id, type: 'function', function: { name: t.name, arguments: t.arguments } }));
}

/** The gRPC answer → OpenAI's chat.completion object. */
export function toChatCompletion(r: aiGatewayV1.ChatCompletionResponse): Json {
  const m = r.message;
  const message: Json = { role: 'assistant', content: m && (m.content || m.toolCalls.length === 0) ? m.content : null, refusal: null };
  if (m && m.toolCalls.length > 0) message.tool_calls = openAiToolCalls(m.toolCalls);
  return {
    id: r.id,
    object: 'chat.completion',
    created: unixSeconds(r.createdAt),
    model: r.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: r.finishReason || 'stop' }],
    usage: openAiUsage(r.usage),
  };
}

/** One gRPC chunk → OpenAI's chat.completion.chunk (the usage chunk is written separately). */
export function toChunk(c: aiGatewayV1.ChatCompletionChunk, includeUsage: boolean): Json {
  const delta: Json = {};
  if (c.role) delta.role = c.role;
  if (c.content || (c.role && c.toolCalls.length === 0)) delta.content = c.content;
  if (c.toolCalls.length > 0) {
    delta.tool_calls = c.toolCalls.map((t) => {
      const fn: Json = { arguments: t.arguments };
      if (t.name) fn.name = t.name;
      return t.id ? { index: t.index, id: t.id, type: 'function', function: fn } : { index: t.index, function: fn };
    });
  }
  const out: Json = {
    id: c.id,
    object: 'chat.completion.chunk',
    created: unixSeconds(c.createdAt),
    model: c.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: c.finishReason || null }],
  };
  if (includeUsage) out.usage = null;
  return out;
}

export function usageChunk(c: aiGatewayV1.ChatCompletionChunk): Json {
  return { id: c.id, object: 'chat.completion.chunk', created: unixSeconds(c.createdAt), model: c.model, choices: [], usage: openAiUsage(c.usage) };
}

/** Float32 little-endian bytes in base64 — what the OpenAI SDK asks for by default and decodes. */
export function float32Base64(vector: number[]): string {
  const buf = Buffer.alloc(vector.length * 4);
  for (let i = 0; i < vector.length; i++) buf.writeFloatLE(vector[i], i * 4);
  return buf.toString('base64');
}

export function toEmbeddingsResponse(r: aiGatewayV1.CreateEmbeddingsResponse, base64: boolean): Json {
  return {
    object: 'list',
    data: r.embeddings.map((e) => ({ object: 'embedding', index: e.index, embedding: base64 ? float32Base64(e.vector) : e.vector })),
    model: r.model,
    usage: { prompt_tokens: r.usage?.promptTokens ?? 0, total_tokens: r.usage?.promptTokens ?? 0 },
  };
}

/** Response headers: what served, the cache outcome, OpenAI's x-ratelimit-* figures. */
export function aiHeaders(model: string, cache: string, rl: aiGatewayV1.RateLimitState | undefined): Record<string, string> {
  const h: Record<string, string> = {};
  if (model) h['x-aether-provider'] = model;
  if (cache) h['x-aether-cache'] = cache;
  if (rl && rl.limitRequests > 0) {
    h['x-ratelimit-limit-requests'] = String(rl.limitRequests);
    h['x-ratelimit-remaining-requests'] = String(rl.remainingRequests);
    h['x-ratelimit-reset-requests'] = `${(rl.resetRequestsMs / 1000).toFixed(3).replace(/\.?0+$/, '')}s`;
  }
  if (rl && rl.limitTokens > 0) {
    h['x-ratelimit-limit-tokens'] = String(rl.limitTokens);
    h['x-ratelimit-remaining-tokens'] = String(rl.remainingTokens);
    h['x-ratelimit-reset-tokens'] = `${(rl.resetTokensMs / 1000).toFixed(3).replace(/\.?0+$/, '')}s`;
  }
  return h;
}
