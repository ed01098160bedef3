import type { ServerResponse } from 'node:http';
import type { Observable, Subscription } from 'rxjs';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { aiGatewayV1 } from '@aether/contracts';
import { DomainError, UnavailableError } from '@aether/service-kit';
import { aiHeaders, toChunk, usageChunk } from './openai-mapping';
import { toOpenAiError } from './openai-errors';

export interface ChatStreamOptions {
  includeUsage: boolean;
  requestId: string;
  /** No message from ai-gateway (chunk or keep-alive) for this long: the stream is given up. */
  idleTimeoutMs: number;
}

/**
 * Relays a gRPC chunk stream as OpenAI SSE. Nothing is written until ai-gateway's first message:
 * a failure before it (every fallback failed, budget, bad request) rejects `started` so the
 * caller answers a normal HTTP error. After it, each chunk is written the moment it arrives
 * (no buffering), keep-alives become SSE comments, a failure becomes an `error` event (never a
 * silent stop), the end is `data: [DONE]`. The client going away cancels the gRPC call, which
 * cancels the provider request.
 */
export function relayChatStream(
  source: Observable<aiGatewayV1.ChatCompletionChunk>,
  res: ServerResponse,
  opts: ChatStreamOptions,
): { started: Promise<void>; done: Promise<void> } {
  // Set right after subscribing; a synchronous first event finds it still unset.
  const holder: { subscription?: Subscription } = {};
  let headersSent = false;
  let finished = false;
  let idle: NodeJS.Timeout | undefined;
  let resolveStarted!: () => void;
  let rejectStarted!: (err: unknown) => void;
  let resolveDone!: () => void;
  const started = new Promise<void>((resolve, reject) => ((resolveStarted = resolve), (rejectStarted = reject)));
  const done = new Promise<void>((resolve) => (resolveDone = resolve));

  const end = () => {
    if (finished) return;
    finished = true;
    if (idle) clearTimeout(idle);
    holder.subscription?.unsubscribe();
    if (headersSent && !res.writableEnded) res.end();
    resolveDone();
  };
  const write = (text: string) => {
    if (!res.writableEnded) res.write(text);
  };
  const event = (data: unknown) => write(`data: ${JSON.stringify(data)}\n\n`);
  const fail = (err: unknown) => {
    if (!headersSent) {
      finished = true;
      if (idle) clearTimeout(idle);
      rejectStarted(err);
      resolveDone();
      return;
    }
    const rendered = toOpenAiError(err, opts.requestId);
    // OpenAI's own mid-stream error event: the SDKs raise it as an APIError.
    event({ error: { ...rendered.body.error, code: rendered.body.error.code ?? 'upstream_unavailable' } });
    end();
  };
  const start = (first: aiGatewayV1.ChatCompletionChunk) => {
    headersSent = true;
    res.socket?.setNoDelay(true);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': opts.requestId,
      ...aiHeaders(first.model, first.cache, first.rateLimit),
    });
    resolveStarted();
  };
  const armIdle = () => {
    if (idle) idle.refresh();
    else idle = setTimeout(() => fail(new IdleStreamError(opts.idleTimeoutMs)), opts.idleTimeoutMs);
  };

  res.on('close', () => {
    // Client gone before the end: unsubscribing cancels the gRPC call.
    if (!finished) end();
  });
  armIdle();
  holder.subscription = source.subscribe({
    next: (chunk) => {
      if (finished) return;
      armIdle();
      if (!headersSent) start(chunk);
      if (chunk.keepAlive) {
        write(': keep-alive\n\n');
        return;
      }
      event(toChunk(chunk, opts.includeUsage));
      if (chunk.finishReason) {
        if (opts.includeUsage) event(usageChunk(chunk));
        write('data: [DONE]\n\n');
        end();
      }
    },
    error: (err) => fail(err),
    complete: () => {
      if (finished) return;
      if (!headersSent) return fail(new IdleStreamError(0));
      // The stream ended without a finish chunk: say so instead of pretending it stopped.
      fail(new UnavailableError('The model stream ended before its last chunk', 'upstream_unavailable'));
    },
  });
  if (finished) holder.subscription.unsubscribe();
  return { started, done };
}

/** ai-gateway went silent (not even keep-alives): 504 before the first chunk, an error event after. */
export class IdleStreamError extends DomainError {
  readonly grpcStatus = GrpcStatus.DEADLINE_EXCEEDED;
  constructor(ms: number) {
    super('upstream_unavailable', ms ? `The model stream was silent for ${ms} ms` : 'The model stream ended without an answer');
  }
}
