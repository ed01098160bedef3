import type { aiGatewayV1 } from '@aether/contracts';

// Loaded on the first count, not at start: the o200k ranks are +67 MB RSS (+33 MB heap) and
// ~240 ms CPU, needed only when a provider reports no usage (or for the local embedding model).
let tokenizer: typeof import('gpt-tokenizer') | undefined;

/** Tokens of a text (o200k, GPT-4o's encoding): the count used when a provider reports none. */
export function countTextTokens(text: string): number {
  return text ? (tokenizer ??= require('gpt-tokenizer') as typeof import('gpt-tokenizer')).countTokens(text) : 0;
}

/** Prompt tokens of a chat request as OpenAI counts them (per-message overhead included). */
export function countPromptTokens(request: aiGatewayV1.ChatCompletionRequest): number {
  let n = 3;
  for (const m of request.messages) {
    n += 4 + countTextTokens(m.content) + countTextTokens(m.name);
    for (const t of m.toolCalls) n += countTextTokens(t.name) + countTextTokens(t.arguments) + 3;
  }
  for (const t of request.tools) n += countTextTokens(t.name) + countTextTokens(t.description) + countTextTokens(t.parametersJson);
  return n;
}

/**
 * An upper-bound guess of the prompt's tokens without running the tokenizer on the hot path
 * (budget reservations): no BPE token is shorter than one UTF-16 unit in practice for
 * ordinary text, and most are 3–4; a third of the characters plus overhead errs high.
 */
export function estimatePromptTokens(request: aiGatewayV1.ChatCompletionRequest): number {
  let chars = 0;
  for (const m of request.messages) {
    chars += m.content.length + m.name.length;
    for (const t of m.toolCalls) chars += t.name.length + t.arguments.length;
  }
  for (const t of request.tools) chars += t.name.length + t.description.length + t.parametersJson.length;
  return Math.ceil(chars / 3) + 4 * request.messages.length + 3;
}
