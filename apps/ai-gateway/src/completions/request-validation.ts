import type { aiGatewayV1 } from '@aether/contracts';
import { isWellFormedText } from '@aether/service-kit';
import { invalidRequest } from '../routing/errors';

const ROLES = new Set(['system', 'user', 'assistant', 'tool', 'developer']);
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX_MESSAGES = 2048;
const MAX_STOP = 4;

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** OpenAI's rules for a chat request; the first broken one is answered as invalid_request_error naming its param. */
export function validateChatRequest(r: aiGatewayV1.ChatCompletionRequest): void {
  if (!r.model) throw invalidRequest('you must provide a model parameter', 'model');
  if (r.messages.length === 0) throw invalidRequest("'messages' must contain at least one message", 'messages');
  if (r.messages.length > MAX_MESSAGES) throw invalidRequest(`'messages' may hold at most ${MAX_MESSAGES} messages`, 'messages');
  r.messages.forEach((m, i) => {
    const at = `messages[${i}]`;
    if (!ROLES.has(m.role)) throw invalidRequest(`${at}.role must be one of system, developer, user, assistant, tool`, `${at}.role`);
    if (!isWellFormedText(m.content)) throw invalidRequest(`${at}.content holds a lone surrogate`, `${at}.content`);
    if (m.role === 'tool' && !m.toolCallId) throw invalidRequest(`${at}.tool_call_id is required for a tool message`, `${at}.tool_call_id`);
    if (m.role !== 'assistant' && m.toolCalls.length > 0) throw invalidRequest(`${at}.tool_calls is only for assistant messages`, `${at}.tool_calls`);
    m.toolCalls.forEach((t, j) => {
      if (!t.id || !t.name) throw invalidRequest(`${at}.tool_calls[${j}] needs an id and a function name`, `${at}.tool_calls`);
    });
  });
  if (r.temperature !== undefined && !(r.temperature >= 0 && r.temperature <= 2)) throw invalidRequest('temperature must be between 0 and 2', 'temperature');
  if (r.topP !== undefined && !(r.topP >= 0 && r.topP <= 1)) throw invalidRequest('top_p must be between 0 and 1', 'top_p');
  if (r.maxTokens !== undefined && !(r.maxTokens >= 1)) throw invalidRequest('max_tokens must be at least 1', 'max_tokens');
  if (r.stop.length > MAX_STOP) throw invalidRequest(`stop may hold at most ${MAX_STOP} sequences`, 'stop');
  r.tools.forEach((t, i) => {
    if (!TOOL_NAME.test(t.name)) throw invalidRequest(`tools[${i}].function.name must be 1-64 letters, digits, _ or -`, `tools[${i}].function.name`);
    if (t.parametersJson && !isJson(t.parametersJson)) throw invalidRequest(`tools[${i}].function.parameters must be a JSON Schema object`, `tools[${i}].function.parameters`);
  });
  if (r.toolChoiceJson && !isJson(r.toolChoiceJson)) throw invalidRequest('tool_choice is not valid JSON', 'tool_choice');
  if (r.responseFormatJson && !isJson(r.responseFormatJson)) throw invalidRequest('response_format is not valid JSON', 'response_format');
}

export function validateEmbeddingsRequest(r: aiGatewayV1.CreateEmbeddingsRequest): void {
  if (!r.model) throw invalidRequest('you must provide a model parameter', 'model');
  if (r.inputs.length === 0) throw invalidRequest("'input' must not be empty", 'input');
  if (r.inputs.length > 2048) throw invalidRequest("'input' may hold at most 2048 items", 'input');
  r.inputs.forEach((t, i) => {
    if (t === '') throw invalidRequest(`input[${i}] must not be empty`, 'input');
    if (!isWellFormedText(t)) throw invalidRequest(`input[${i}] holds a lone surrogate`, 'input');
  });
}
