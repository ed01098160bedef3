import type { aiGatewayV1 } from '@aether/contracts';
import type { ProviderConfig } from '../config/gateway-config';

/** Tokens a provider reported for one call. */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface CompletionResult {
  id?: string;
  message: aiGatewayV1.ChatMessage;
  finishReason: string;
  usage?: TokenUsage;
}

/** One piece of a streamed answer, already in OpenAI's chunk terms. */
export interface StreamDelta {
  content?: string;
  toolCalls?: aiGatewayV1.ToolCallDelta[];
  finishReason?: string;
  usage?: TokenUsage;
}

export interface EmbeddingResult {
  vectors: number[][];
  promptTokens?: number;
}

/** Limits of one provider call. `signal` aborts it (client gone, or the call's own timers). */
export interface CallOptions {
  signal: AbortSignal;
  /** Called whenever bytes of the answer arrive (resets the idle timer, ends the first-token wait). */
  onProgress?: () => void;
}

/** A provider kind speaking one wire protocol. `model` is the provider's own model name. */
export interface ChatProvider {
  readonly config: ProviderConfig;
  complete(model: string, request: aiGatewayV1.ChatCompletionRequest, opts: CallOptions): Promise<CompletionResult>;
  stream(model: string, request: aiGatewayV1.ChatCompletionRequest, opts: CallOptions): AsyncGenerator<StreamDelta>;
  embed(model: string, inputs: string[], user: string, opts: CallOptions): Promise<EmbeddingResult>;
}
