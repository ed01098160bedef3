import type { ServerResponse } from 'node:http';
import type { Observable, Subscription } from 'rxjs';
import type { ragV1 } from '@aether/contracts';
import { toProblem } from '../http/problem-details';

export interface CitationOut {
  documentId: string;
  chunkId: string;
  title: string;
  quote: string;
}

/**
 * Relays rag's StreamAnswer as the contract's SSE: `data: {"delta": "..."}` per text fragment,
 * then `data: {"citations": [...]}`, then `data: [DONE]`. Nothing is written before rag's first
 * message, so a failure before it (unknown collection, ai-gateway down) rejects `started` and
 * the caller answers a normal problem+json; after it, a failure is an `event: error` with the
 * problem body. The client going away cancels the gRPC call (and so the model's).
 */
export function relayAnswerStream(
  source: Observable<ragV1.AnswerChunk>,
  res: ServerResponse,
  requestId: string,
  toCitation: (c: ragV1.Citation) => CitationOut,
): { started: Promise<void>; done: Promise<void> } {
  // Set once subscribed; end() may run before (a source that fails at once).
  const upstream: { subscription?: Subscription } = {};
  let headersSent = false;
  let finished = false;
  let resolveStarted!: () => void;
  let rejectStarted!: (err: unknown) => void;
  let resolveDone!: () => void;
  const started = new Promise<void>((resolve, reject) => ((resolveStarted = resolve), (rejectStarted = reject)));
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const write = (text: string) => {
    if (!res.writableEnded) res.write(text);
  };
  const end = () => {
    if (finished) return;
    finished = true;
    upstream.subscription?.unsubscribe();
    if (headersSent && !res.writableEnded) res.end();
    resolveDone();
  };
  const start = () => {
    headersSent = true;
    res.socket?.setNoDelay(true);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': requestId,
    });
    resolveStarted();
  };
  const fail = (err: unknown) => {
    if (!headersSent) {
      finished = true;
      rejectStarted(err);
      resolveDone();
      return;
    }
    write(`event: error\ndata: ${JSON.stringify(toProblem(err, requestId).body)}\n\n`);
    end();
  };
  res.on('close', () => {
    if (!finished) end();
  });
  upstream.subscription = source.subscribe({
    next: (chunk) => {
      if (finished) return;
      if (!headersSent) start();
      if (chunk.text) write(`data: ${JSON.stringify({ delta: chunk.text })}\n\n`);
      if (chunk.done) {
        write(`data: ${JSON.stringify({ citations: (chunk.citations ?? []).map(toCitation) })}\n\n`);
        write('data: [DONE]\n\n');
        end();
      }
    },
    error: fail,
    complete: () => {
      if (finished) return;
      fail(new Error('The answer stream ended before its last chunk'));
    },
  });
  return { started, done };
}
