import { Injectable } from '@nestjs/common';
import type { CallOptions, Metadata } from '@grpc/grpc-js';
import type { Observable } from 'rxjs';
import type { aiGatewayV1 } from '@aether/contracts';
import { InjectGrpcClient, readGrpcError } from '@aether/service-kit';
import { CodeAssistantEnv } from '../config/code-assistant.env';
import type { Caller } from './caller';

type Call<Res> = (req: aiGatewayV1.ChatCompletionRequest, md: Metadata, options: CallOptions) => Observable<Res>;

export interface ModelMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ModelAnswer {
  text: string;
  /** The provider model that answered (after ai-gateway's aliases and fallbacks). */
  model: string;
}

/** Why the model could not answer: the review goes on without it, an assist turns it into an error. */
export class ModelUnavailable extends Error {
  constructor(
    message: string,
    /** The gRPC status ai-gateway answered (undefined: none, e.g. no model configured). */
    readonly grpcCode?: number,
    readonly code?: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ModelUnavailable';
  }
}

/**
 * Chat completions through ai-gateway's gRPC API as the caller (its token is forwarded, so
 * budgets and usage are the caller's), each bounded by a deadline. Never retries: ai-gateway
 * already falls back across providers.
 */
@Injectable()
export class ModelClient {
  constructor(
    @InjectGrpcClient('ai-gateway') private readonly aiGateway: aiGatewayV1.AiGatewayServiceClient,
    private readonly env: CodeAssistantEnv,
  ) {}

  /** The model or alias asked; empty = no model configured. */
  get model(): string {
    return this.env.CODE_ASSISTANT_MODEL;
  }

  async chat(caller: Caller, messages: ModelMessage[], opts: { json?: boolean; deadlineMs?: number; signal?: AbortSignal } = {}): Promise<ModelAnswer> {
    if (!this.model) throw new ModelUnavailable('no model is configured (CODE_ASSISTANT_MODEL is empty)');
    const request: aiGatewayV1.ChatCompletionRequest = {
      model: this.model,
      messages: messages.map((m) => ({ ...m, name: '', toolCallId: '', toolCalls: [] })),
      temperature: 0,
      stop: [],
      tools: [],
      toolChoiceJson: '',
      responseFormatJson: opts.json ? JSON.stringify({ type: 'json_object' }) : '',
      user: '',
    };
    const deadlineMs = opts.deadlineMs ?? this.env.CODE_ASSISTANT_MODEL_TIMEOUT_MS;
    const call = this.aiGateway.chatCompletion as unknown as Call<aiGatewayV1.ChatCompletionResponse>;
    try {
      const res = await new Promise<aiGatewayV1.ChatCompletionResponse>((resolve, reject) => {
        const sub = call.call(this.aiGateway, request, caller.metadata, { deadline: Date.now() + deadlineMs }).subscribe({ next: resolve, error: reject });
        opts.signal?.addEventListener('abort', () => {
          sub.unsubscribe();
          reject(new ModelUnavailable('the request was cancelled'));
        }, { once: true });
      });
      return { text: res.message?.content ?? '', model: res.model };
    } catch (err) {
      if (err instanceof ModelUnavailable) throw err;
      const e = readGrpcError(err);
      throw new ModelUnavailable(`ai-gateway answered ${e.code}: ${e.message}`, e.grpcCode, e.code, e.retryAfterSeconds);
    }
  }
}
