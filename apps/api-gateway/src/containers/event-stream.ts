import { PassThrough } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { Observable } from 'rxjs';
import { toProblem } from '../http/problem-details';

/** A comment line now and then keeps proxies from closing a quiet stream and finds gone clients. */
const HEARTBEAT_MS = 15_000;

/**
 * Sends `source` as server-sent events (`data: <json>` per item). The stream ends when the source
 * completes; an error after the start is sent as an `event: error` with the problem body, then
 * the stream ends; when the client goes, the source is unsubscribed (which cancels the gRPC call).
 */
export function sendEventStream<T>(reply: FastifyReply, source: Observable<T>, toData: (item: T) => unknown): FastifyReply {
  const out = new PassThrough();
  // Sent at once, so the client has the headers before the first item (a followed log may be quiet).
  out.write(': stream open\n\n');
  const heartbeat = setInterval(() => out.write(': keep-alive\n\n'), HEARTBEAT_MS);
  heartbeat.unref();
  const subscription = source.subscribe({
    next: (item) => out.write(`data: ${JSON.stringify(toData(item))}\n\n`),
    error: (err: unknown) => {
      const problem = toProblem(err, String(reply.request.id));
      out.end(`event: error\ndata: ${JSON.stringify(problem.body)}\n\n`);
    },
    complete: () => out.end(),
  });
  const finish = () => {
    clearInterval(heartbeat);
    subscription.unsubscribe();
  };
  out.on('close', finish);
  reply.raw.on('close', () => {
    finish();
    out.destroy();
  });
  return reply
    .header('content-type', 'text/event-stream; charset=utf-8')
    .header('cache-control', 'no-cache, no-transform')
    .header('x-accel-buffering', 'no')
    .send(out);
}

/** Sends `source` as a text/plain attachment, one line per item, streamed as it comes. */
export function sendTextAttachment<T>(reply: FastifyReply, filename: string, source: Observable<T>, toLine: (item: T) => string): FastifyReply {
  const out = new PassThrough();
  const subscription = source.subscribe({
    next: (item) => out.write(`${toLine(item)}\n`),
    // Headers are gone by then: a cut-off file is all the client can get.
    error: () => out.destroy(),
    complete: () => out.end(),
  });
  reply.raw.on('close', () => {
    subscription.unsubscribe();
    out.destroy();
  });
  return reply
    .header('content-type', 'text/plain; charset=utf-8')
    .header('content-disposition', `attachment; filename="${filename.replace(/[^A-Za-z0-9_.-]/g, '_')}"`)
    .send(out);
}
